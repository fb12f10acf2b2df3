//! `freeze_graph`: TensorFlow's tool of that name, with its flags, over the
//! tf-freeze core. Reads the files, streams the frozen graph to disk (weights
//! are copied from the `.data` shards in chunks, checksummed on the way), and
//! says what it did on stderr. Exit 0 ok, 1 bad input, 2 bad usage.

use std::process::ExitCode;

mod cli;
mod files;
mod flags;
mod output;
mod roles;
mod say;
mod tfjs;
mod write;

fn main() -> ExitCode {
    output::remove_temp_on_signal();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let code = cli::run(&args, &mut std::io::stdout(), &mut std::io::stderr());
    ExitCode::from(code)
}
