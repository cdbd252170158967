//! How a terminal makes noise for a page: the terminal bell (`\x07`) for
//! each ring of the plan's loop, and a desktop notification through
//! `notify-send` where one exists and a display is set. Neither is required:
//! a missing tool or display just means the bell alone.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Where the bell goes: the terminal the person looks at, never into a
/// stream a script parses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Bell {
    Stdout,
    Stderr,
    Off,
}

/// The terminal's alarm: bell and desktop notification.
#[derive(Debug)]
pub struct Alarm {
    bell: Bell,
    notify_send: Option<PathBuf>,
}

impl Alarm {
    /// The alarm for a pager whose stdout is JSON (`json_stdout`) or text.
    /// The bell goes to whichever of stdout (not when it carries JSON) and
    /// stderr is a terminal; into a file or pipe it would only be noise.
    pub fn new(json_stdout: bool) -> Alarm {
        let bell = if !json_stdout && std::io::stdout().is_terminal() {
            Bell::Stdout
        } else if std::io::stderr().is_terminal() {
            Bell::Stderr
        } else {
            Bell::Off
        };
        Alarm {
            bell,
            notify_send: desktop_notifier(),
        }
    }

    /// Rings the terminal bell once.
    pub fn bell(&self) {
        // A bell that cannot be written (a closed terminal) is not worth
        // stopping the pager for; the page is still on screen and in events.
        let _ = match self.bell {
            Bell::Stdout => {
                let mut out = std::io::stdout().lock();
                out.write_all(b"\x07").and_then(|()| out.flush())
            }
            Bell::Stderr => {
                let mut err = std::io::stderr().lock();
                err.write_all(b"\x07").and_then(|()| err.flush())
            }
            Bell::Off => Ok(()),
        };
    }

    /// Shows a desktop notification (critical pages with urgency
    /// "critical", which desktops keep on screen until dismissed).
    pub fn desktop(&self, critical: bool, title: &str, body: &str) {
        let Some(program) = &self.notify_send else {
            return;
        };
        let child = Command::new(program)
            .args([
                "-a",
                "Klaxon",
                "-u",
                if critical { "critical" } else { "normal" },
            ])
            .arg(title)
            .arg(body)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        if let Ok(mut child) = child {
            // Reap it off the pager's thread so no zombie is left behind.
            std::thread::spawn(move || {
                let _ = child.wait();
            });
        }
    }
}

/// `notify-send` on PATH, when a display (X11 or Wayland) is set.
fn desktop_notifier() -> Option<PathBuf> {
    let has_display = ["DISPLAY", "WAYLAND_DISPLAY"]
        .iter()
        .any(|v| std::env::var_os(v).is_some_and(|d| !d.is_empty()));
    if !has_display {
        return None;
    }
    find_on_path("notify-send")
}

/// The first executable file `name` in the PATH directories.
fn find_on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        path.metadata()
            .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    }
    #[cfg(not(unix))]
    {
        path.is_file()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_tool_is_not_found_and_sh_is() {
        assert!(find_on_path("klaxon-no-such-tool").is_none());
        assert!(find_on_path("sh").is_some());
    }
}
