//! `freeze_graph`: TensorFlow's tool of that name, with its flags, over the
//! tf-freeze core. Reads the files, streams the frozen graph to disk (weights
//! are copied from the `.data` shards in chunks, checksummed on the way), and
//! says what it did on stderr. Exit 0 ok, 1 bad input, 2 bad usage.

use std::process::ExitCode;

use tf_freeze::{CheckpointFiles, Error, FreezeOptions, FreezeRequest, InputFile};

mod files;
mod flags;
mod write;

use files::{checkpoint_prefix, open_index, read_file, saved_model_file, shard_sizes, IndexFiles};
use flags::{parse_flags, Flags, USAGE};
use write::{write_plan, Shards};

fn input<'a>(path: &'a Option<String>, bytes: &'a Option<Vec<u8>>) -> Option<InputFile<'a>> {
    match (path, bytes) {
        (Some(name), Some(bytes)) => Some(InputFile { name, bytes }),
        _ => None,
    }
}

fn run(flags: Flags) -> Result<(), Error> {
    let saved_model_path = flags
        .input_saved_model_dir
        .as_deref()
        .map(saved_model_file)
        .transpose()?;
    let prefix = match (
        &flags.input_saved_model_dir,
        flags.input_checkpoint.as_deref(),
    ) {
        // TF reads a SavedModel's own variables, whatever --input_checkpoint says.
        (Some(dir), _) => format!("{}/variables/variables", dir.trim_end_matches('/')),
        (None, Some(given)) => checkpoint_prefix(given),
        // A report on the graph alone is still useful.
        (None, None) if flags.inspect => String::new(),
        (None, None) => {
            return Err(Error::Usage(
                "--input_checkpoint is required (the checkpoint prefix)".into(),
            ))
        }
    };
    if flags.input_graph.is_none() && flags.input_meta_graph.is_none() && saved_model_path.is_none()
    {
        let index = open_index(&prefix)?;
        return Err(tf_freeze::no_graph_error(&index.name, &index.bytes));
    }
    let graph_bytes = flags
        .input_graph
        .as_deref()
        .map(|p| read_file(p, "graph"))
        .transpose()?;
    let meta_bytes = flags
        .input_meta_graph
        .as_deref()
        .map(|p| read_file(p, "meta graph"))
        .transpose()?;
    let saved_model_bytes = saved_model_path
        .as_deref()
        .map(|p| read_file(p, "SavedModel"))
        .transpose()?;
    let saver_bytes = flags
        .input_saver
        .as_deref()
        .map(|p| read_file(p, "saver"))
        .transpose()?;
    let index = match open_index(&prefix) {
        Ok(index) => index,
        Err(err) if flags.inspect => {
            if !prefix.is_empty() {
                eprintln!("freeze_graph: warning: {err}; reporting on the graph alone");
            }
            IndexFiles {
                name: String::new(),
                bytes: Vec::new(),
                more: Vec::new(),
            }
        }
        Err(err) => return Err(err),
    };

    let list = |s: &str| {
        let items = tf_freeze::split_list(s);
        if items.is_empty() {
            None
        } else {
            Some(items)
        }
    };
    let request = FreezeRequest {
        graph: input(&flags.input_graph, &graph_bytes),
        meta_graph: input(&flags.input_meta_graph, &meta_bytes),
        saver: input(&flags.input_saver, &saver_bytes),
        saved_model: input(&saved_model_path, &saved_model_bytes),
        saved_model_tags: flags
            .saved_model_tags
            .split(',')
            .map(|t| t.trim().to_owned())
            .collect(),
        checkpoint: CheckpointFiles {
            prefix: &prefix,
            index: InputFile {
                name: &index.name,
                bytes: &index.bytes,
            },
            more_tables: index
                .more
                .iter()
                .map(|(name, bytes)| InputFile { name, bytes })
                .collect(),
            shard_sizes: shard_sizes(&prefix),
        },
        input_binary: flags.input_binary,
        options: FreezeOptions {
            output_node_names: tf_freeze::split_list(&flags.output_node_names),
            clear_devices: flags.clear_devices.unwrap_or(true),
            variable_names_whitelist: list(&flags.whitelist),
            variable_names_denylist: list(&flags.denylist),
            initializer_nodes: tf_freeze::split_list(&flags.initializer_nodes),
            restore_op_name: flags.restore_op_name.clone(),
            filename_tensor_name: flags.filename_tensor_name.clone(),
            allow_over_2gb: flags.allow_over_2gb.unwrap_or(false),
            fix_ref_ops: flags.fix_ref_ops,
            placeholder_to_const: tf_freeze::cleanup::parse_assignments(
                &flags.placeholder_to_const,
            )
            .map_err(|e| Error::Usage(format!("--placeholder_to_const: {e}")))?,
            strip_training_nodes: flags.strip_training_nodes,
            input_placeholder: flags.input_queue_placeholder.clone(),
            use_moving_averages: flags.use_moving_averages,
        },
    };
    if flags.inspect {
        let report = tf_freeze::inspect_request(&request)?;
        print!("{}", report.to_json());
        return Ok(());
    }
    let prepared = tf_freeze::prepare(&request)?;
    let mut shards = Shards::new(prepared.data_files().to_vec());
    let loaded = prepared
        .reads()
        .iter()
        .map(|r| shards.read(r.shard, r.offset, r.len))
        .collect::<Result<Vec<_>, _>>()?;
    let plan = prepared.finish(&loaded)?;
    for warning in &plan.warnings {
        eprintln!("freeze_graph: warning: {warning}");
    }
    let verify = flags.verify_checksums.unwrap_or(true);
    let summary = &plan.summary;
    for change in &summary.changes {
        eprintln!("freeze_graph: {change}");
    }
    match &flags.output_graph {
        Some(path) => {
            write_plan(&plan, &mut shards, path, verify)?;
            eprintln!(
                "froze {} variable{}, kept {} node{}, wrote {} bytes to {path}",
                summary.variables_frozen(),
                plural(summary.variables_frozen()),
                summary.nodes_kept,
                plural(summary.nodes_kept),
                summary.output_bytes
            );
        }
        None => eprintln!(
            "froze {} variable{}, kept {} node{} ({} bytes); no --output_graph given, nothing written",
            summary.variables_frozen(),
            plural(summary.variables_frozen()),
            summary.nodes_kept,
            plural(summary.nodes_kept),
            summary.output_bytes
        ),
    }
    if let Some(path) = &flags.report {
        let command = command_line();
        std::fs::write(path, plan.report_json(&command)).map_err(|e| Error::Output {
            file: path.clone(),
            detail: e.to_string(),
        })?;
    }
    Ok(())
}

/// This run's command line, quoted for a POSIX shell.
fn command_line() -> String {
    let quote = |arg: String| {
        if !arg.is_empty()
            && arg
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_=./:,@+".contains(c))
        {
            arg
        } else {
            format!("'{}'", arg.replace('\'', "'\\''"))
        }
    };
    std::iter::once("freeze_graph".to_owned())
        .chain(std::env::args().skip(1).map(quote))
        .collect::<Vec<_>>()
        .join(" ")
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let flags = match parse_flags(&args) {
        Ok(flags) => flags,
        Err(err) => {
            eprintln!("freeze_graph: {err}");
            eprintln!("(see --help)");
            return ExitCode::from(2);
        }
    };
    if flags.help || args.is_empty() {
        eprint!("{USAGE}");
        return if args.is_empty() {
            ExitCode::from(2)
        } else {
            ExitCode::SUCCESS
        };
    }
    match run(flags) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("freeze_graph: {err}");
            ExitCode::from(if err.is_usage() { 2 } else { 1 })
        }
    }
}
