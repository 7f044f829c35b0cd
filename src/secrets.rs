//! Secrets that a registry outside production keeps in its data directory:
//! the signing key and the token secret, 32 random bytes each, written once
//! (base64, readable by the owner only) and read on every later start, so
//! that restarts keep certificates verifiable and tokens valid; and where
//! the signing key comes from, read once at start-up.

use std::{io::Write, path::Path};

use anyhow::Context;
use base64::{Engine, engine::general_purpose::STANDARD};
use tlog::signing::Signer;

use crate::config::{Config, Environment};

/// The configured key: `signing.key`, else the key file (by default
/// in the data directory). Outside production a missing file is created
/// with a new key.
pub fn signing_key(config: &Config) -> anyhow::Result<Signer> {
    let signing = &config.signing;
    if !signing.key.is_empty() {
        return Signer::from_base64(signing.key.expose()).context("signing.key");
    }
    let path = config.signing_key_file();
    if config.environment == Environment::Production {
        return match read(&path) {
            Ok(seed) => Signer::from_seed(&seed),
            Err(error) if is_missing(&error) => {
                anyhow::bail!("no signing key: set DATAIP__SIGNING__KEY or provide {}", path.display())
            }
            Err(error) => Err(error),
        };
    }
    let (seed, created) = read_or_create(&path)?;
    let signer = Signer::from_seed(&seed)?;
    if created {
        tracing::warn!(
            path = %path.display(), key_id = signer.key_id(),
            "!!! generated a new signing key; keep this file: certificates and checkpoints signed with it verify only with it !!!"
        );
    }
    Ok(signer)
}

/// The 32 bytes kept in `path`, and whether they were created just now.
pub fn read_or_create(path: &Path) -> anyhow::Result<([u8; 32], bool)> {
    match read(path) {
        Ok(bytes) => return Ok((bytes, false)),
        Err(error) if !is_missing(&error) => return Err(error),
        Err(_) => {}
    }
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("could not create {}", dir.display()))?;
    }
    match write_private(path, STANDARD.encode(bytes).as_bytes()) {
        Ok(()) => Ok((bytes, true)),
        // Another process created it first: use theirs.
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => Ok((read(path)?, false)),
        Err(error) => Err(error).with_context(|| format!("could not create {}", path.display())),
    }
}

/// The 32 bytes kept in `path` (base64).
pub fn read(path: &Path) -> anyhow::Result<[u8; 32]> {
    let text = std::fs::read_to_string(path).with_context(|| format!("could not read {}", path.display()))?;
    let bytes = STANDARD.decode(text.trim()).with_context(|| format!("{} does not hold base64", path.display()))?;
    bytes.try_into().map_err(|_| anyhow::anyhow!("{} must hold 32 bytes (44 characters of base64)", path.display()))
}

/// Whether an error from `read` means that the file does not exist.
pub fn is_missing(error: &anyhow::Error) -> bool {
    error.downcast_ref::<std::io::Error>().is_some_and(|e| e.kind() == std::io::ErrorKind::NotFound)
}

/// Writes a new file only its owner can read; fails if it exists.
fn write_private(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)?.write_all(contents)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_is_created_once_and_read_back() {
        let dir = std::env::temp_dir().join(format!("dataip-secret-{}", uuid::Uuid::now_v7()));
        let path = dir.join("nested/token.secret");
        let (first, created) = read_or_create(&path).expect("created");
        assert!(created);
        let (again, created) = read_or_create(&path).expect("read");
        assert!(!created);
        assert_eq!(first, again);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).expect("metadata").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::write(&path, "not base64!").expect("overwritten");
        assert!(read_or_create(&path).expect_err("garbage").to_string().contains("base64"));
        assert!(is_missing(&read(&dir.join("absent")).expect_err("missing")));
        let _ = std::fs::remove_dir_all(dir);
    }
}
