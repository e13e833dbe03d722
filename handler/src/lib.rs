//! trailwatch alert engine: CloudTrail event model, monitor catalog, assessment and rendering.
