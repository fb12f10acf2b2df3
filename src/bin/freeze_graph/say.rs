//! How a run is told on stderr: core messages in the CLI's words (options as
//! `--flags`), the freeze's warnings and changes, its one-line account.

use tf_freeze::options::phrase;
use tf_freeze::target::TargetLint;
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
    if let Some(lint) = &plan.target_lint {
        say_lint(lint, say);
    }
}

/// How many unsupported nodes stderr names; the report has them all.
const LINT_LINES: usize = 20;

/// The nodes `--target`'s consumer will reject, one a line, at most
/// [`LINT_LINES`] of them.
fn say_lint(lint: &TargetLint, say: &mut dyn FnMut(&str)) {
    let target = &lint.target;
    let count = lint.unsupported.len();
    if count == 0 {
        say(&format!(
            "freeze_graph: --target={target}: every node is an op {target} supports\n"
        ));
        return;
    }
    say(&format!(
        "freeze_graph: warning: --target={target}: {count} node{} with ops {target} does not support:\n",
        plural(count)
    ));
    for node in lint.unsupported.iter().take(LINT_LINES) {
        say(&format!("freeze_graph:   {} ({})\n", node.node, node.op));
    }
    if count > LINT_LINES {
        say(&format!(
            "freeze_graph:   ... and {} more (--report lists them all)\n",
            count - LINT_LINES
        ));
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}
