//! The documentation's generated and tested parts are never stale copies: the
//! monitor table is the catalog's, the tuning example the tested one, and the
//! README stays a front door that links every page.

use xtask::commands::monitors;
use xtask::workspace;

/// The text of the file at `path` from the workspace root.
fn read(path: &str) -> String {
    std::fs::read_to_string(workspace::root().join(path)).expect(path)
}

#[test]
fn the_text_catalog_ends_with_what_the_default_and_each_pack_select() {
    let coverage = monitors::coverage();
    let headings: Vec<&str> = coverage
        .lines()
        .filter(|l| l.starts_with("  ") && !l.starts_with("    "))
        .map(|l| l.split(':').next().unwrap_or_default().trim())
        .collect();
    assert_eq!(
        headings,
        [
            "default",
            "pack seed (on by default)",
            "pack cis (on by default)",
            "pack stratus (on by default)",
            "pack read-only (off by default)",
            "pack activity (off by default)",
            "pack stateful (on by default)",
        ]
    );
    // The default selection's RDS calls: judged ones, not the activity pack's.
    let default_rds = coverage
        .lines()
        .find(|l| l.starts_with("    rds: "))
        .expect("the default selection selects RDS calls");
    assert!(default_rds.contains("ModifyDBInstance") && default_rds.contains("StartExportTask"));
    assert!(!default_rds.contains("RebootDBInstance"), "{default_rds}");
    assert!(
        coverage.contains("    any call: root-account-usage, unauthorized-api-calls"),
        "{coverage}"
    );
}

#[test]
fn the_monitor_table_is_generated_from_the_catalog() {
    let page = read(monitors::PAGE);
    let current = monitors::with_table(&page).expect("the table's marks");
    assert!(
        current == page,
        "{}'s monitor table is stale: run `cargo xtask monitors --update-docs`",
        monitors::PAGE
    );
}

#[test]
fn the_catalog_as_json_names_id_packs_controls_techniques_and_references_of_every_monitor() {
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
            "references",
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
fn the_documented_tuning_example_is_the_tested_one() {
    let page = read("docs/configuration.md");
    let example = read("samples/tuning/trailwatch.toml");
    let body: String = example.lines().skip(1).map(|l| format!("{l}\n")).collect();
    assert!(
        page.contains(&format!("```toml\n{body}```")),
        "docs/configuration.md's tuning example differs from samples/tuning/trailwatch.toml"
    );
}

#[test]
fn the_readme_is_a_front_door_that_links_every_page_and_every_link_resolves() {
    let readme = read("README.md");
    assert!(readme.lines().count() <= 250, "README.md is over 250 lines");
    let pages: Vec<String> = std::fs::read_dir(workspace::root().join("docs"))
        .expect("docs/")
        .map(|entry| {
            entry
                .expect("an entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|name| name.ends_with(".md"))
        .collect();
    for page in &pages {
        assert!(
            readme.contains(&format!("(docs/{page})")),
            "README.md does not link docs/{page}"
        );
    }
    for (file, text) in std::iter::once(("README.md".to_owned(), readme.clone())).chain(
        pages
            .iter()
            .map(|p| (format!("docs/{p}"), read(&format!("docs/{p}")))),
    ) {
        let base = if file == "README.md" { "" } else { "docs/" };
        for link in text
            .split("](")
            .skip(1)
            .filter_map(|rest| rest.split(')').next())
        {
            let target = link.split('#').next().unwrap_or_default();
            if target.is_empty() || target.starts_with("http") {
                continue;
            }
            let path = workspace::root().join(base).join(target);
            assert!(path.exists(), "{file} links {link}, which does not exist");
        }
    }
}

#[test]
fn the_published_alert_schema_is_generated_from_the_handler_s_types() {
    let page = read(xtask::commands::schema::PAGE);
    assert!(
        page == xtask::commands::schema::text(),
        "{} is stale: run `cargo xtask schema --update-docs`",
        xtask::commands::schema::PAGE
    );
}

#[test]
fn every_sample_s_alert_document_is_valid_under_the_published_schema() {
    let schema = xtask::commands::schema::schema();
    let validator = jsonschema::validator_for(&schema).expect("a valid JSON Schema");
    let detection = handler::Detection::from(handler::Selection::every());
    let today = time::macros::date!(2026 - 11 - 30);
    for sample in samples::all() {
        let raw = serde_json::value::to_raw_value(&sample.json()).expect("JSON");
        let verdict = handler::pipeline::verdict(&raw, &detection, today);
        let Some(alert) = verdict.alert() else {
            continue;
        };
        let document: serde_json::Value =
            serde_json::from_str(&handler::render::document(&alert)).expect("JSON");
        let errors: Vec<String> = validator
            .iter_errors(&document)
            .map(|e| format!("{e} at {}", e.instance_path()))
            .collect();
        assert_eq!(errors, Vec::<String>::new(), "{}", sample.name);
    }
}

#[test]
fn the_alert_schema_refuses_a_document_missing_its_severity() {
    let schema = xtask::commands::schema::schema();
    let validator = jsonschema::validator_for(&schema).expect("a valid JSON Schema");
    let document = serde_json::json!({"schema": "trailwatch.alert", "schema_version": 1});
    assert!(!validator.is_valid(&document));
}
