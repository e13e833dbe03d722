//! Where deploys report: lines above any progress bars, and spinners.

use indicatif::{MultiProgress, ProgressBar};

use crate::terminal;
use crate::tools::spinner;

/// Where a driver reports: lines above any progress bars, and spinners, all
/// prefixed with a label (the region, when several deploy at once).
#[derive(Debug, Clone, Default)]
pub(crate) struct Progress {
    bars: MultiProgress,
    label: String,
}

impl Progress {
    /// Reports through `bars`, each line prefixed with `label`.
    pub(crate) fn labelled(bars: &MultiProgress, label: &str) -> Self {
        Self {
            bars: bars.clone(),
            label: format!("[{label}] "),
        }
    }

    /// Prints a line on standard error without breaking the bars.
    pub(crate) fn line(&self, text: &str) {
        self.bars
            .suspend(|| eprintln!("{}{}", self.label, terminal::lines(text)));
    }

    /// A spinner below the others, with `message`.
    pub(crate) fn spinner(&self, message: &str) -> ProgressBar {
        self.bars.add(spinner(&format!("{}{message}", self.label)))
    }
}
