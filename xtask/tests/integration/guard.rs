//! trailwatch's CloudFormation Guard rules catch each pitfall they name: a
//! rendered template passes them, and the same template with the pitfall put
//! back fails exactly the rule for it.

use serde_json::Value;
use xtask::{checks::guard, config::app, tools, workspace};

/// The rules cfn-guard reports as failed for `template`.
fn failed_rules(test: &str, template: &Value) -> Vec<String> {
    tools::ensure_cfn_guard().expect("cfn-guard");
    let dir = workspace::target_dir().join("test-scratch").join(test);
    std::fs::create_dir_all(&dir).expect("scratch");
    let path = dir.join("template.json");
    std::fs::write(&path, template.to_string()).expect("template");
    let reports = guard::validate(&[path]).expect("cfn-guard runs");
    assert_eq!(reports.len(), 1);
    reports[0].failed.iter().cloned().collect()
}

fn default_template() -> Value {
    app::stack(&app::default_props())
        .and_then(|stack| stack.to_json())
        .expect("renders")
}

#[test]
fn the_rendered_template_passes_every_rule() {
    assert_eq!(
        failed_rules("guard-default", &default_template()),
        Vec::<String>::new()
    );
}

#[test]
fn a_permission_for_eventbridge_with_source_account_fails() {
    let mut template = default_template();
    template["Resources"]["HealthRuleHandlerPermission"]["Properties"]["SourceAccount"] =
        serde_json::json!({"Ref": "AWS::AccountId"});
    assert_eq!(
        failed_rules("guard-source-account", &template),
        ["eventbridge_permission_by_source_arn_alone"]
    );
}

#[test]
fn a_read_only_rule_left_enabled_fails() {
    let mut template = default_template();
    template["Resources"]["ReadOnlyEventRule1"]["Properties"]["State"] = "ENABLED".into();
    assert_eq!(
        failed_rules("guard-read-only", &template),
        ["read_only_rules_receive_read_only_events"]
    );
}

#[test]
fn a_key_without_its_eventbridge_and_cloudwatch_statements_fails() {
    let mut template = default_template();
    let statements = template["Resources"]["AlertKey"]["Properties"]["KeyPolicy"]["Statement"]
        .as_array_mut()
        .expect("statements");
    statements.retain(|s| {
        !matches!(
            s["Principal"]["Service"].as_str(),
            Some("events.amazonaws.com" | "cloudwatch.amazonaws.com")
        )
    });
    assert_eq!(
        failed_rules("guard-key", &template),
        [
            "cloudwatch_may_use_the_key_of_topics_alarms_notify",
            "eventbridge_may_use_the_key_of_its_dead_letter_queues"
        ]
    );
}
