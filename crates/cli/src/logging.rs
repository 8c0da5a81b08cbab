//! Where the log goes: standard error (filtered by `-v` and `DAVSYNC_LOG`)
//! and, with `log_file`, a file that starts anew each day (the last 7 kept),
//! filtered by `log_level`. With a log file, standard error gets the log
//! only when it is a terminal (under systemd or cron the file has it).

use crate::config::LogFile;
use std::io::IsTerminal;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

/// How many daily log files are kept.
const KEPT: usize = 7;

/// Sets up logging for the process. A log file that cannot be opened is
/// said on standard error, and the log goes there instead.
pub(crate) fn init(verbose: u8, file: Option<&LogFile>) {
    let default = match verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    let stderr_filter =
        EnvFilter::try_from_env("DAVSYNC_LOG").unwrap_or_else(|_| EnvFilter::new(default));
    let terminal = std::io::stderr().is_terminal();
    let file_layer = file.and_then(|file| match appender(file) {
        Ok(appender) => Some(
            tracing_subscriber::fmt::layer()
                .with_writer(appender)
                .with_ansi(false)
                .with_filter(EnvFilter::new(&file.level)),
        ),
        Err(e) => {
            eprintln!(
                "davsync: warning: cannot write the log file {}: {e}; logging to standard \
                 error",
                file.path.display()
            );
            None
        }
    });
    let stderr_layer = (file_layer.is_none() || terminal).then(|| {
        tracing_subscriber::fmt::layer()
            .with_writer(std::io::stderr)
            .with_ansi(terminal)
            .with_filter(stderr_filter)
    });
    tracing_subscriber::registry()
        .with(stderr_layer)
        .with(file_layer)
        .init();
}

/// The daily file of `file.path`: `DIR/NAME.YYYY-MM-DD.EXT`.
fn appender(
    file: &LogFile,
) -> Result<tracing_appender::rolling::RollingFileAppender, Box<dyn std::error::Error>> {
    let dir = file
        .path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    std::fs::create_dir_all(dir)?;
    let stem = file
        .path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "davsync".into());
    let mut builder = tracing_appender::rolling::Builder::new()
        .rotation(tracing_appender::rolling::Rotation::DAILY)
        .filename_prefix(stem)
        .max_log_files(KEPT);
    if let Some(ext) = file.path.extension() {
        builder = builder.filename_suffix(ext.to_string_lossy());
    }
    Ok(builder.build(dir)?)
}
