//! The README's monitor table is the catalog's, never a stale copy.

use xtask::commands::monitors;
use xtask::workspace;

#[test]
fn the_readme_monitor_table_is_generated_from_the_catalog() {
    let readme = std::fs::read_to_string(workspace::root().join("README.md")).expect("README.md");
    let current = monitors::with_table(&readme).expect("the table's marks");
    assert!(
        current == readme,
        "README.md's monitor table is stale: run `cargo xtask monitors --update-readme`"
    );
}

#[test]
fn the_catalog_as_json_names_id_packs_controls_and_techniques_of_every_monitor() {
    let catalog = monitors::json();
    let monitors = catalog.as_array().expect("a list");
    assert_eq!(monitors.len(), handler::monitors::CATALOG.len());
    for monitor in monitors {
        for key in [
            "id",
            "packs",
            "controls",
            "techniques",
            "selects",
            "severity",
            "pattern",
        ] {
            assert!(monitor.get(key).is_some(), "{key} missing in {monitor}");
        }
    }
    let cloudtrail = monitors
        .iter()
        .find(|m| m["id"] == "cloudtrail-change")
        .expect("cloudtrail-change");
    assert_eq!(
        cloudtrail["controls"],
        serde_json::json!(["CIS CloudWatch.5"])
    );
    assert_eq!(cloudtrail["packs"], serde_json::json!(["cis", "stratus"]));
}

#[test]
fn the_readme_tuning_example_is_the_tested_one() {
    let readme = std::fs::read_to_string(workspace::root().join("README.md")).expect("README.md");
    let example = std::fs::read_to_string(workspace::root().join("samples/tuning/trailwatch.toml"))
        .expect("the tuning example");
    let body: String = example.lines().skip(1).map(|l| format!("{l}\n")).collect();
    assert!(
        readme.contains(&format!("```toml\n{body}```")),
        "README.md's tuning example differs from samples/tuning/trailwatch.toml"
    );
}
