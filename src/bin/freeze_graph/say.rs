//! How a run is told on stderr: core messages in the CLI's words (options as
//! `--flags`), the freeze's warnings and changes, its one-line account.

use tf_freeze::options::phrase;
use tf_freeze::{Plan, Summary};

use crate::flags::flag;

/// A core message in the CLI's words.
pub fn cli(message: &str) -> String {
    phrase(message, flag)
}

/// The one-line account of what a freeze did.
pub fn did(summary: &Summary) -> String {
    let (frozen, kept) = (summary.variables_frozen(), summary.nodes_kept);
    format!(
        "froze {frozen} variable{}, kept {kept} node{}",
        plural(frozen),
        plural(kept)
    )
}

/// Says the plan's warnings and changes.
pub fn say_notes(plan: &Plan, say: &mut dyn FnMut(&str)) {
    for warning in &plan.warnings {
        say(&format!("freeze_graph: warning: {}\n", cli(warning)));
    }
    for change in &plan.summary.changes {
        say(&format!("freeze_graph: {}\n", cli(change)));
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}
