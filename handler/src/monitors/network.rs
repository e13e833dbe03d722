//! Network paths changed: network ACLs, gateways, route tables, VPCs, and
//! the security groups of load balancers and (legacy) caches.

use super::Pack::Cis;
use super::{CHECK_NETWORK, EC2, Monitor, calls, means, services};
use crate::finding::Verb::*;
use crate::selector::{Call, Selector};
use contract::Severity::Low;

/// `ec2-network-acl-change`.
pub const EC2_NETWORK_ACL_CHANGE: Monitor = calls(
    "ec2-network-acl-change",
    "Network ACL changed",
    &[Cis],
    Selector::calls(
        EC2,
        &[
            Call::named(
                "CreateNetworkAcl",
                means(Created, "a network ACL in", Low)
                    .target(&["vpcId"])
                    .check(CHECK_NETWORK),
            ),
            Call::named(
                "CreateNetworkAclEntry",
                means(Added, "an entry to network ACL", Low)
                    .target(&["networkAclId"])
                    .check(CHECK_NETWORK),
            ),
            Call::named(
                "DeleteNetworkAcl",
                means(Deleted, "network ACL", Low)
                    .target(&["networkAclId"])
                    .check(CHECK_NETWORK),
            ),
            Call::named(
                "DeleteNetworkAclEntry",
                means(Removed, "an entry from network ACL", Low)
                    .target(&["networkAclId"])
                    .check(CHECK_NETWORK),
            ),
            Call::named(
                "ReplaceNetworkAclEntry",
                means(Changed, "an entry of network ACL", Low)
                    .target(&["networkAclId"])
                    .check(CHECK_NETWORK),
            ),
            Call::named(
                "ReplaceNetworkAclAssociation",
                means(Changed, "the subnet association of network ACL", Low)
                    .target(&["networkAclId"])
                    .check(CHECK_NETWORK),
            ),
        ],
    ),
    &["CIS CloudWatch.11"],
    &["T1562.007"],
);

/// `ec2-network-gateway-change`.
pub const EC2_NETWORK_GATEWAY_CHANGE: Monitor = calls(
    "ec2-network-gateway-change",
    "Network gateway changed",
    &[Cis],
    Selector::calls(
        EC2,
        &[
            Call::named(
                "CreateCustomerGateway",
                means(Created, "a customer gateway for", Low)
                    .target(&["ipAddress"])
                    .check(CHECK_NETWORK),
            ),
            Call::named(
                "DeleteCustomerGateway",
                means(Deleted, "customer gateway", Low)
                    .target(&["customerGatewayId"])
                    .check(CHECK_NETWORK),
            ),
            Call::named(
                "CreateInternetGateway",
                means(Created, "an internet gateway", Low).check(CHECK_NETWORK),
            ),
            Call::named(
                "AttachInternetGateway",
                means(Attached, "internet gateway", Low)
                    .target(&["internetGatewayId"])
                    .check(CHECK_NETWORK),
            ),
            Call::named(
                "DetachInternetGateway",
                means(Removed, "internet gateway", Low)
                    .target(&["internetGatewayId"])
                    .check(CHECK_NETWORK),
            ),
            Call::named(
                "DeleteInternetGateway",
                means(Deleted, "internet gateway", Low)
                    .target(&["internetGatewayId"])
                    .check(CHECK_NETWORK),
            ),
        ],
    ),
    &["CIS CloudWatch.12"],
    &[],
);

/// `ec2-route-table-change`.
pub const EC2_ROUTE_TABLE_CHANGE: Monitor = calls(
    "ec2-route-table-change",
    "Route table changed",
    &[Cis],
    Selector::calls(
        EC2,
        &[
            Call::named(
                "CreateRoute",
                means(Added, "a route to route table", Low)
                    .target(&["routeTableId"])
                    .check(CHECK_NETWORK),
            ),
            Call::named(
                "ReplaceRoute",
                means(Changed, "a route of route table", Low)
                    .target(&["routeTableId"])
                    .check(CHECK_NETWORK),
            ),
            Call::named(
                "DeleteRoute",
                means(Removed, "a route from route table", Low)
                    .target(&["routeTableId"])
                    .check(CHECK_NETWORK),
            ),
            Call::named(
                "CreateRouteTable",
                means(Created, "a route table in", Low)
                    .target(&["vpcId"])
                    .check(CHECK_NETWORK),
            ),
            Call::named(
                "DeleteRouteTable",
                means(Deleted, "route table", Low)
                    .target(&["routeTableId"])
                    .check(CHECK_NETWORK),
            ),
            Call::named(
                "ReplaceRouteTableAssociation",
                means(Changed, "route table association", Low)
                    .target(&["associationId"])
                    .check(CHECK_NETWORK),
            ),
            Call::named(
                "DisassociateRouteTable",
                means(Removed, "route table association", Low)
                    .target(&["associationId"])
                    .check(CHECK_NETWORK),
            ),
        ],
    ),
    &["CIS CloudWatch.13"],
    &[],
);

/// `ec2-vpc-change`.
pub const EC2_VPC_CHANGE: Monitor = calls(
    "ec2-vpc-change",
    "VPC changed",
    &[Cis],
    Selector::calls(
        EC2,
        &[
            Call::named(
                "CreateVpc",
                means(Created, "a VPC for", Low)
                    .target(&["cidrBlock"])
                    .check(CHECK_NETWORK),
            ),
            Call::named(
                "DeleteVpc",
                means(Deleted, "VPC", Low)
                    .target(&["vpcId"])
                    .check(CHECK_NETWORK),
            ),
            Call::named(
                "ModifyVpcAttribute",
                means(Changed, "an attribute of VPC", Low)
                    .target(&["vpcId"])
                    .check(CHECK_NETWORK),
            ),
            Call::named(
                "CreateVpcPeeringConnection",
                means(Created, "a peering connection from", Low)
                    .target(&["vpcId"])
                    .check(CHECK_NETWORK),
            ),
            Call::named(
                "AcceptVpcPeeringConnection",
                means(Changed, "(accepted) VPC peering connection", Low)
                    .target(&["vpcPeeringConnectionId"])
                    .check(CHECK_NETWORK),
            ),
            Call::named(
                "RejectVpcPeeringConnection",
                means(Changed, "(rejected) VPC peering connection", Low)
                    .target(&["vpcPeeringConnectionId"])
                    .check(CHECK_NETWORK),
            ),
            Call::named(
                "DeleteVpcPeeringConnection",
                means(Deleted, "VPC peering connection", Low)
                    .target(&["vpcPeeringConnectionId"])
                    .check(CHECK_NETWORK),
            ),
            Call::named(
                "AttachClassicLinkVpc",
                means(Attached, "an instance to ClassicLink VPC", Low)
                    .target(&["vpcId"])
                    .check(CHECK_NETWORK),
            ),
            Call::named(
                "DetachClassicLinkVpc",
                means(Removed, "an instance from ClassicLink VPC", Low)
                    .target(&["vpcId"])
                    .check(CHECK_NETWORK),
            ),
            Call::named(
                "EnableVpcClassicLink",
                means(Changed, "(enabled) ClassicLink of VPC", Low)
                    .target(&["vpcId"])
                    .check(CHECK_NETWORK),
            ),
            Call::named(
                "DisableVpcClassicLink",
                means(Changed, "(disabled) ClassicLink of VPC", Low)
                    .target(&["vpcId"])
                    .check(CHECK_NETWORK),
            ),
        ],
    ),
    &["CIS CloudWatch.14"],
    &[],
);

/// `service-security-groups-changed`.
pub const SERVICE_SECURITY_GROUPS_CHANGED: Monitor = services(
    "service-security-groups-changed",
    "Load balancer security groups replaced, or ElastiCache security groups changed",
    &[],
    &[
        Selector::calls(
            "elasticloadbalancing.amazonaws.com",
            &[
                Call::named(
                    "SetSecurityGroups",
                    means(Changed, "the security groups of load balancer", Low)
                        .target(&["loadBalancerArn"])
                        .why("who may reach the load balancer now follows the new groups")
                        .check(CHECK_NETWORK),
                ),
                Call::named(
                    "ApplySecurityGroupsToLoadBalancer",
                    means(Changed, "the security groups of load balancer", Low)
                        .target(&["loadBalancerName"])
                        .why("who may reach the load balancer now follows the new groups")
                        .check(CHECK_NETWORK),
                ),
            ],
        ),
        // EC2-Classic cache security groups (retired with EC2-Classic, still recorded
        // where they exist).
        Selector::calls(
            "elasticache.amazonaws.com",
            &[
                Call::named(
                    "AuthorizeCacheSecurityGroupIngress",
                    means(Changed, "ElastiCache security group", Low)
                        .target(&["cacheSecurityGroupName"])
                        .why("instances in the named EC2 security group can now reach the cache")
                        .check(CHECK_NETWORK),
                ),
                Call::named(
                    "RevokeCacheSecurityGroupIngress",
                    means(Changed, "ElastiCache security group", Low)
                        .target(&["cacheSecurityGroupName"]),
                ),
                Call::named(
                    "CreateCacheSecurityGroup",
                    means(Created, "ElastiCache security group", Low)
                        .target(&["cacheSecurityGroupName"]),
                ),
                Call::named(
                    "DeleteCacheSecurityGroup",
                    means(Deleted, "ElastiCache security group", Low)
                        .target(&["cacheSecurityGroupName"]),
                ),
            ],
        ),
    ],
    &[],
    &["T1562.007"],
)
.answers(&[
    "sigma:aws_cloudtrail_security_group_change_loadbalancer",
    "sigma:aws_elasticache_security_group_created",
    "sigma:aws_elasticache_security_group_modified_or_deleted",
]);
