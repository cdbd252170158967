//! The state directory on disk. `klaxon.db` holds the device's private keys,
//! so on unix a new state directory is created `0700` and the database with
//! its `-wal` and `-shm` files is kept `0600` (tightened if found looser).

use crate::error::{Error, Result};
use std::path::Path;

/// The SQLite files of the database at `database`: the file itself and its
/// write-ahead log and shared-memory index.
#[cfg(unix)]
fn database_files(database: &Path) -> [std::path::PathBuf; 3] {
    let with_suffix = |suffix: &str| {
        let mut name = database.as_os_str().to_os_string();
        name.push(suffix);
        std::path::PathBuf::from(name)
    };
    [
        database.to_path_buf(),
        with_suffix("-wal"),
        with_suffix("-shm"),
    ]
}

/// An I/O error that names the path it happened on.
fn at(path: &Path, e: std::io::Error) -> Error {
    Error::Io(std::io::Error::new(
        e.kind(),
        format!("{}: {e}", path.display()),
    ))
}

/// Creates `dir` (and missing parents) readable by its owner only. An
/// existing directory is left as it is: it may be a home directory or a
/// shared one the user chose on purpose; the files in it are what we guard.
pub(super) fn create_private_dir(dir: &Path) -> Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt as _;
        builder.mode(0o700);
    }
    builder.create(dir).map_err(|e| at(dir, e))
}

/// Makes the database at `database` private before SQLite opens it: a
/// missing file is created `0600` (SQLite gives the `-wal` and `-shm` files
/// it creates later the database file's mode), and existing database, WAL
/// and shared-memory files readable or writable by group or others lose
/// those bits. A no-op off unix.
pub(super) fn make_database_private(database: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
        let created = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(database);
        match created {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(at(database, e)),
        }
        for file in database_files(database) {
            let mode = match std::fs::metadata(&file) {
                Ok(meta) => meta.permissions().mode(),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(at(&file, e)),
            };
            if mode & 0o077 != 0 {
                std::fs::set_permissions(&file, std::fs::Permissions::from_mode(mode & 0o700))
                    .map_err(|e| at(&file, e))?;
            }
        }
    }
    #[cfg(not(unix))]
    let _ = database;
    Ok(())
}

#[cfg(test)]
#[cfg(unix)]
mod tests {
    use super::super::test_support::device_at_t0;
    use super::super::{Device, DATABASE_FILE};
    use klaxon_domain::notify::NotificationSettings;
    use std::os::unix::fs::PermissionsExt as _;
    use std::path::Path;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    fn open(dir: &Path) -> Device {
        device_at_t0(dir)
    }

    #[test]
    fn a_new_state_directory_and_its_database_are_private() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("nested").join("state");
        let device = open(&dir);
        // A write, so SQLite has its -wal and -shm files.
        device
            .set_settings(&NotificationSettings::default())
            .unwrap();
        assert_eq!(mode(&dir), 0o700, "the state directory");
        assert_eq!(
            mode(&tmp.path().join("nested")),
            0o700,
            "a parent created with it"
        );
        let db = dir.join(DATABASE_FILE);
        for file in [
            db.clone(),
            dir.join("klaxon.db-wal"),
            dir.join("klaxon.db-shm"),
        ] {
            assert!(file.exists(), "{} exists", file.display());
            assert_eq!(mode(&file), 0o600, "{}", file.display());
        }
    }

    #[test]
    fn opening_tightens_database_files_left_readable_by_others() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("state");
        // A pager holds the database open (so its -wal and -shm exist) while
        // the files are loosened, as an older Klaxon left them.
        let pager = open(&dir);
        pager
            .set_settings(&NotificationSettings::default())
            .unwrap();
        let files = ["klaxon.db", "klaxon.db-wal", "klaxon.db-shm"].map(|f| dir.join(f));
        for file in &files {
            std::fs::set_permissions(file, std::fs::Permissions::from_mode(0o644)).unwrap();
        }
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        // A second open on the same directory (`klaxon ack`) tightens them.
        let ack = open(&dir);
        for file in &files {
            assert_eq!(mode(file), 0o600, "{}", file.display());
        }
        // An existing directory is the user's choice; it is left alone.
        assert_eq!(mode(&dir), 0o755);
        drop((ack, pager));
    }
}
