//! trailwatch's CloudTrail samples (EventBridge envelopes), laid out as:
//!
//! - `<monitor-id>/`: events the monitor titles, with `expected.json` saying the
//!   alert each must get (severity, outcome, title, reasons);
//! - `negative/`: events no monitor selects;
//! - `canary/`, `tuning/`, `destinations/`: scenarios and examples particular
//!   tests read by path;
//! - `stateful/<monitor-id>/`: sequences of events for stateful monitors, each
//!   file with the alerts the sequence must raise ([`Sequence`]).
//!
//! Sample names are file stems, unique across the folders.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Folders of scenarios, not of judged samples.
const SCENARIOS: [&str; 5] = ["canary", "tuning", "destinations", "src", STATEFUL];
/// The folder of stateful monitors' sequences.
pub const STATEFUL: &str = "stateful";
/// The folder of events no monitor selects.
pub const NEGATIVE: &str = "negative";
/// The expectations file of a monitor folder.
pub const EXPECTED: &str = "expected.json";

/// The `samples/` folder.
pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// One judged sample: its name, folder and file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sample {
    pub name: String,
    /// A monitor id, or [`NEGATIVE`].
    pub folder: String,
    pub path: PathBuf,
}

impl Sample {
    /// The sample's JSON.
    pub fn json(&self) -> Value {
        read_json(&self.path)
    }
}

/// What a monitor folder's `expected.json` says one sample's alert is.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Expected {
    pub sample: String,
    /// `INFO`, `LOW`, `MEDIUM`, `HIGH` or `CRITICAL`.
    pub severity: String,
    /// `succeeded`, `failed` or `unknown`.
    pub outcome: String,
    pub title: String,
    /// Every reason, in the alert's order.
    pub reasons: Vec<String>,
}

/// The folders of judged samples: every monitor folder, then [`NEGATIVE`].
pub fn folders() -> Vec<String> {
    let mut folders: Vec<String> = std::fs::read_dir(root())
        .expect("the samples folder")
        .filter_map(Result::ok)
        .filter(|entry| entry.path().is_dir())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| !SCENARIOS.contains(&name.as_str()))
        .collect();
    folders.sort();
    folders
}

/// Every judged sample (monitor folders and [`NEGATIVE`]), sorted by name.
pub fn all() -> Vec<Sample> {
    let mut all: Vec<Sample> = folders()
        .into_iter()
        .flat_map(|folder| in_folder(&folder))
        .collect();
    all.sort_by(|a, b| a.name.cmp(&b.name));
    all
}

/// The samples of one folder, sorted by name.
pub fn in_folder(folder: &str) -> Vec<Sample> {
    let dir = root().join(folder);
    let mut samples: Vec<Sample> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|e| e == "json"))
        .filter(|path| path.file_name().is_some_and(|n| n != EXPECTED))
        .map(|path| Sample {
            name: path
                .file_stem()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned(),
            folder: folder.to_owned(),
            path,
        })
        .collect();
    samples.sort_by(|a, b| a.name.cmp(&b.name));
    samples
}

/// The file of the sample `name`: a judged sample by its stem, or a scenario
/// by its path below `samples/` without `.json` (`canary/home`).
pub fn path(name: &str) -> PathBuf {
    let direct = root().join(format!("{name}.json"));
    if direct.exists() {
        return direct;
    }
    all()
        .into_iter()
        .find(|sample| sample.name == name)
        .map(|sample| sample.path)
        .unwrap_or_else(|| panic!("no sample named {name} in {}", root().display()))
}

/// The JSON of the sample `name` (see [`path`]).
pub fn load(name: &str) -> Value {
    read_json(&path(name))
}

/// The expectations of the monitor folder `folder`.
pub fn expected(folder: &str) -> Vec<Expected> {
    let path = root().join(folder).join(EXPECTED);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Rewrites a folder's `expected.json` (after a reviewed change of wording
/// or judgement; `git diff` shows what changed).
pub fn write_expected(folder: &str, expected: &[Expected]) {
    let path = root().join(folder).join(EXPECTED);
    let text = serde_json::to_string_pretty(expected).expect("expectations serialize");
    std::fs::write(&path, text + "\n").unwrap_or_else(|e| panic!("{}: {e}", path.display()));
}

/// A stateful monitor's sample: events in delivery order (repeats
/// included) and the alerts they raise, in order.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Sequence {
    /// What the sequence shows.
    pub about: String,
    pub events: Vec<Value>,
    pub alerts: Vec<SequenceAlert>,
}

/// One alert a sequence raises.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SequenceAlert {
    /// The index in `events` of the event that raised it.
    pub after: usize,
    pub monitor: String,
    pub severity: String,
    pub title: String,
    pub reasons: Vec<String>,
    pub event_ids: Vec<String>,
}

/// Every stateful sequence: (monitor folder, file stem, sequence), sorted.
pub fn sequences() -> Vec<(String, String, Sequence)> {
    let mut all = Vec::new();
    for entry in std::fs::read_dir(root().join(STATEFUL)).expect("the stateful samples") {
        let dir = entry.expect("a folder").path();
        let monitor = dir
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        for file in std::fs::read_dir(&dir).expect("a monitor folder") {
            let path = file.expect("a file").path();
            let name = path
                .file_stem()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            let sequence = serde_json::from_value(read_json(&path))
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            all.push((monitor.clone(), name, sequence));
        }
    }
    all.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
    all
}

/// Rewrites one sequence file (after a reviewed change of wording).
pub fn write_sequence(monitor: &str, name: &str, sequence: &Sequence) {
    let path = root()
        .join(STATEFUL)
        .join(monitor)
        .join(format!("{name}.json"));
    let text = serde_json::to_string_pretty(sequence).expect("sequences serialize");
    std::fs::write(&path, text + "\n").unwrap_or_else(|e| panic!("{}: {e}", path.display()));
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}
