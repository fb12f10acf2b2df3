//! One run of `freeze_graph` over its arguments, writing where `main` says:
//! the `--inspect` report on stdout, everything else on stderr.

use std::io::Write;

use tf_freeze::options::OptionValues;
use tf_freeze::Error;

use crate::files::Inputs;
use crate::flags::{parse_flags, usage};
use crate::output::{check_writable, Output};
use crate::say::{cli, did, say_notes};
use crate::write::{write_plan, Shards};

/// Runs the tool; returns the exit code: 0 ok, 1 bad input, 2 bad usage.
pub fn run(args: &[String], stdout: &mut dyn Write, stderr: &mut dyn Write) -> u8 {
    // Nothing is left to report to when stderr itself fails.
    let mut say = |text: &str| {
        let _ = stderr.write_all(text.as_bytes());
    };
    let values = match parse_flags(args) {
        Ok(values) => values,
        Err(err) => {
            say(&format!("freeze_graph: {err}\n(see --help)\n"));
            return 2;
        }
    };
    if values.bool("help") || args.is_empty() {
        say(&usage());
        return if args.is_empty() { 2 } else { 0 };
    }
    match freeze(args, &values, stdout, &mut say) {
        Ok(()) => 0,
        Err(err) => {
            say(&format!("freeze_graph: {}\n", cli(&err.to_string())));
            if err.is_usage() {
                2
            } else {
                1
            }
        }
    }
}

fn freeze(
    args: &[String],
    values: &OptionValues,
    stdout: &mut dyn Write,
    say: &mut dyn FnMut(&str),
) -> Result<(), Error> {
    // Contradicting output flags are refused before any file is read.
    let tfjs_target = crate::tfjs::Target::from_flags(values)?;
    let inputs = Inputs::read(values)?;
    for warning in &inputs.warnings {
        say(&format!("freeze_graph: warning: {}\n", cli(warning)));
    }
    let request = inputs.request(values)?;
    if values.bool("inspect") {
        let report = tf_freeze::inspect_request(&request)?;
        return stdout
            .write_all(cli(&report.to_json()).as_bytes())
            .and_then(|()| stdout.flush())
            .map_err(|e| Error::Output {
                file: "stdout".into(),
                detail: e.to_string(),
            });
    }
    // Where the output and the report go is settled before any work, so a
    // bad path never costs a freeze, nor a written graph without its report.
    let output = values
        .non_empty("output_graph")
        .map(|path| Output::resolve(path, &inputs.paths()))
        .transpose()?;
    if let Some(path) = values.non_empty("report") {
        check_writable(path)?;
    }
    if let Some(target) = tfjs_target {
        let plan = target.export(&request, values.bool("verify_checksums"), &mut *say)?;
        if let Some(path) = values.non_empty("report") {
            write_report(path, &plan, args)?;
        }
        return Ok(());
    }
    let prepared = tf_freeze::prepare(&request)?;
    let (mut shards, loaded) = Shards::for_prepared(&prepared)?;
    let plan = prepared.finish(&loaded)?;
    say_notes(&plan, say);
    let summary = &plan.summary;
    let did = did(summary);
    match &output {
        Some(output) => {
            write_plan(&plan, &mut shards, output, values.bool("verify_checksums"))?;
            say(&format!(
                "{did}, wrote {} bytes to {}\n",
                summary.output_bytes,
                output.shown()
            ));
        }
        None => say(&format!(
            "{did} ({} bytes); no --output_graph given, nothing written\n",
            summary.output_bytes
        )),
    }
    if let Some(path) = values.non_empty("report") {
        write_report(path, &plan, args)?;
    }
    Ok(())
}

fn write_report(path: &str, plan: &tf_freeze::Plan, args: &[String]) -> Result<(), Error> {
    std::fs::write(path, cli(&plan.report_json(&command_line(args)))).map_err(|e| Error::Output {
        file: path.to_owned(),
        detail: e.to_string(),
    })
}

/// This run's command line, quoted for a POSIX shell.
fn command_line(args: &[String]) -> String {
    let quote = |arg: &String| {
        if !arg.is_empty()
            && arg
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_=./:,@+".contains(c))
        {
            arg.clone()
        } else {
            format!("'{}'", arg.replace('\'', "'\\''"))
        }
    };
    std::iter::once("freeze_graph".to_owned())
        .chain(args.iter().map(quote))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use tf_freeze::options::OPTIONS;

    fn fixture(name: &str) -> String {
        format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))
    }

    /// Exit code, stdout and stderr of one in-process run.
    fn call(args: &[String]) -> (u8, String, String) {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let code = run(args, &mut out, &mut err);
        let text = |b: Vec<u8>| String::from_utf8(b).unwrap();
        (code, text(out), text(err))
    }

    #[test]
    fn freezes_in_process_to_what_tensorflow_wrote() {
        let dir = fixture("mlp_binary");
        let tmp = tempfile::tempdir().unwrap();
        let output = tmp.path().join("frozen.pb").display().to_string();
        let (code, stdout, stderr) = call(&[
            format!("--input_graph={dir}/graph.pb"),
            format!("--input_checkpoint={dir}/model.ckpt.index"),
            "--output_node_names".into(),
            "probs".into(),
            format!("--output_graph={output}"),
        ]);
        assert_eq!(code, 0, "{stderr}");
        assert_eq!(stdout, "");
        assert!(stderr.starts_with("froze 6 variables, kept "), "{stderr}");
        let want = std::fs::read(format!("{dir}/tf_frozen.pb")).unwrap();
        assert!(std::fs::read(&output).unwrap() == want);
    }

    #[test]
    fn inspect_writes_json_on_stdout() {
        let dir = fixture("seed_text");
        let (code, stdout, stderr) = call(&[
            format!("--input_graph={dir}/graph.pbtxt"),
            "--inspect".into(),
        ]);
        assert_eq!((code, stderr.as_str()), (0, ""));
        assert!(stdout.starts_with('{') && stdout.contains("\"suggested_outputs\""));
    }

    #[test]
    fn help_lists_every_option_and_usage_errors_exit_2() {
        let (code, stdout, stderr) = call(&["--help".into()]);
        assert_eq!((code, stdout.as_str()), (0, ""));
        assert!(OPTIONS
            .iter()
            .all(|row| stderr.contains(&format!("--{}", row.flag))));
        assert_eq!(call(&[]).0, 2);
        let (code, _, stderr) = call(&["--clear_devices=maybe".into()]);
        assert_eq!(code, 2);
        assert_eq!(
            stderr,
            "freeze_graph: --clear_devices takes true or false (or 1/0), not 'maybe'\n(see --help)\n"
        );
        let (code, _, stderr) = call(&["--input_graph=g.pb".into()]);
        assert_eq!(code, 2);
        assert_eq!(
            stderr,
            "freeze_graph: --input_checkpoint is required (the checkpoint prefix)\n"
        );
    }

    #[test]
    fn bad_input_exits_1_naming_the_file() {
        let (code, _, stderr) = call(&[
            "--input_graph=/nonexistent/g.pb".into(),
            "--input_checkpoint=/nonexistent/m".into(),
        ]);
        assert_eq!(code, 1);
        assert!(
            stderr.starts_with("freeze_graph: missing file /nonexistent/g.pb"),
            "{stderr}"
        );
    }

    #[test]
    fn the_command_line_is_quoted_for_a_shell() {
        let args = ["--output_node_names=a b".to_owned(), "--x='y'".to_owned()];
        assert_eq!(
            command_line(&args),
            r#"freeze_graph '--output_node_names=a b' '--x='\''y'\'''"#
        );
    }
}
