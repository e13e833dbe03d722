//! The forwarder template (other regions, and the StackSet in member accounts)
//! and the home template's forwarding bus: what they deliver, where, and who may.

use handler::{Detection, Selection};
use serde_json::{Value, json};
use xtask::app;

fn forwarder() -> Value {
    app::forwarder_stack(&app::forwarder_props(&Detection::from(Selection::every())))
        .expect("synth")
        .to_json()
        .expect("valid stack")
}

fn home() -> Value {
    let props = template::SecurityMonitorProps {
        forwarding: true,
        ..app::default_props()
    };
    app::stack(&props)
        .expect("synth")
        .to_json()
        .expect("valid stack")
}

fn of_type<'a>(template: &'a Value, kind: &str) -> Vec<(&'a String, &'a Value)> {
    template["Resources"]
        .as_object()
        .expect("resources")
        .iter()
        .filter(|(_, r)| r["Type"] == kind)
        .collect()
}

#[test]
fn every_forwarder_rule_sends_to_the_home_bus_as_the_role_with_retries_and_a_dead_letter_queue() {
    let template = forwarder();
    let rules = of_type(&template, "AWS::Events::Rule");
    assert!(rules.len() >= 4, "{} rules", rules.len());
    for (id, rule) in rules {
        assert_eq!(
            rule["Properties"]["Targets"],
            json!([{
                "Id": "HomeBus",
                "Arn": {"Ref": "HomeBusArn"},
                "RoleArn": {"Fn::GetAtt": ["ForwarderRole", "Arn"]},
                "RetryPolicy": {"MaximumRetryAttempts": 185, "MaximumEventAgeInSeconds": 86400},
                "DeadLetterConfig": {"Arn": {"Fn::GetAtt": ["ForwarderDeadLetterQueue", "Arn"]}}
            }]),
            "{id}"
        );
    }
}

#[test]
fn the_forwarder_role_may_only_put_events_on_the_home_bus_and_only_eventbridge_of_this_account_assumes_it()
 {
    let template = forwarder();
    let resources = &template["Resources"];
    assert_eq!(
        resources["ForwarderRolePutEventsPolicy"]["Properties"]["PolicyDocument"]["Statement"],
        json!([{"Effect": "Allow", "Action": ["events:PutEvents"], "Resource": [{"Ref": "HomeBusArn"}]}])
    );
    assert_eq!(
        resources["ForwarderRole"]["Properties"]["AssumeRolePolicyDocument"]["Statement"],
        json!([{
            "Effect": "Allow",
            "Principal": {"Service": "events.amazonaws.com"},
            "Action": ["sts:AssumeRole"],
            "Condition": {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}
        }])
    );
}

#[test]
fn global_service_rules_exist_only_in_us_east_1_and_nothing_in_the_home_buss_own_account_and_region()
 {
    let template = forwarder();
    let mut conditions: Vec<(String, String, bool)> = of_type(&template, "AWS::Events::Rule")
        .into_iter()
        .map(|(id, rule)| {
            let text = rule["Properties"]["EventPattern"].to_string();
            (
                id.clone(),
                rule["Condition"].as_str().unwrap_or_default().to_owned(),
                text.contains("\"aws.iam\"") || text.contains("\"aws.organizations\""),
            )
        })
        .collect();
    conditions.sort();
    for (id, condition, global) in &conditions {
        let expected = if *global {
            "ForwardsGlobalEvents"
        } else {
            "ForwardsElsewhere"
        };
        assert_eq!(condition, expected, "{id}");
    }
    assert!(conditions.iter().any(|(_, _, global)| *global));
    assert_eq!(
        template["Conditions"]["ForwardsGlobalEvents"],
        json!({"Fn::And": [{"Condition": "ForwardsElsewhere"}, {"Condition": "InGlobalRegion"}]})
    );
    assert_eq!(
        template["Conditions"]["InGlobalRegion"],
        json!({"Fn::Equals": [{"Ref": "AWS::Region"}, "us-east-1"]})
    );
    let unconditioned: Vec<&String> = template["Resources"]
        .as_object()
        .expect("resources")
        .iter()
        .filter(|(_, r)| r.get("Condition").is_none())
        .map(|(id, _)| id)
        .collect();
    assert_eq!(unconditioned, ["Placeholder"]);
}

#[test]
fn the_home_bus_admits_the_organization_only_through_principal_org_id_and_only_when_named() {
    let template = home();
    let policies = of_type(&template, "AWS::Events::EventBusPolicy");
    assert_eq!(policies.len(), 1);
    let (_, policy) = policies[0];
    assert_eq!(policy["Condition"], "AdmitsOrganization");
    assert_eq!(
        template["Conditions"]["AdmitsOrganization"],
        json!({"Fn::Not": [{"Fn::Equals": [{"Ref": "OrganizationId"}, ""]}]})
    );
    assert_eq!(
        policy["Properties"]["Statement"],
        json!({
            "Effect": "Allow",
            "Principal": "*",
            "Action": ["events:PutEvents"],
            "Resource": [{"Fn::GetAtt": ["ForwardingBus", "Arn"]}],
            "Condition": {"StringEquals": {"aws:PrincipalOrgID": {"Ref": "OrganizationId"}}}
        })
    );
}

#[test]
fn the_home_bus_has_the_same_rules_as_the_default_bus_invoking_the_handler() {
    let template = home();
    let rules = of_type(&template, "AWS::Events::Rule");
    let on_bus = |forwarded: bool| -> Vec<&Value> {
        rules
            .iter()
            .filter(|(_, r)| r["Properties"].get("EventBusName").is_some() == forwarded)
            .map(|(_, r)| &r["Properties"]["EventPattern"])
            .collect()
    };
    assert_eq!(on_bus(true), on_bus(false));
    for (id, rule) in rules
        .iter()
        .filter(|(_, r)| r["Properties"].get("EventBusName").is_some())
    {
        assert_eq!(
            rule["Properties"]["EventBusName"],
            json!({"Fn::GetAtt": ["ForwardingBus", "Name"]}),
            "{id}"
        );
        assert_eq!(
            rule["Properties"]["Targets"][0]["Arn"],
            json!({"Fn::GetAtt": ["Handler", "Arn"]}),
            "{id}"
        );
        assert!(
            template["Resources"][format!("{id}HandlerPermission")].is_object(),
            "{id} may invoke the handler"
        );
    }
}
