//! trailwatch construct library: typed CloudFormation resources, stacks and constructs.
