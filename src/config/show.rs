//! `dataip config show`: the effective configuration, every value with the
//! layer it came from, secrets redacted.

use std::fmt::Write;

use figment::{Metadata, value::Value};

use super::{Config, Environment, Overrides};

/// Settings whose values are never printed.
const SECRETS: [&str; 4] = ["auth.jwt_secret", "signing.key", "anchor.signer_key", "mail.password"];

/// The report `dataip config show` prints; fails as starting would, with
/// the same message, when the configuration is invalid.
pub fn show(overrides: &Overrides) -> anyhow::Result<String> {
    let environment = Environment::from_env()?;
    let (figment, sources) = Config::layers(environment, &overrides.config_dir(), overrides)?;
    let config = Config::extract(environment, &figment, sources)?;
    let mut out = String::new();
    let file = config.sources.file.as_ref().map_or_else(
        || format!("none ({}.toml is optional in development)", environment.as_str()),
        |file| file.display().to_string(),
    );
    let _ = writeln!(out, "# environment: {} (DATAIP_ENV)", environment.as_str());
    let _ = writeln!(out, "# configuration directory: {}", config.sources.config_dir.display());
    let _ = writeln!(out, "# file read: {file}");
    let _ = writeln!(out, "# data directory: {}", absolute(&config.data_dir));
    let signing_key = secret_source(!config.signing.key.is_empty(), "signing.key", &config.signing_key_file());
    let token_secret =
        secret_source(!config.auth.jwt_secret.is_empty(), "auth.jwt_secret", &config.token_secret_file());
    let _ = writeln!(out, "# signing key: {signing_key}");
    let _ = writeln!(out, "# token secret: {token_secret}");
    let merged: Value = figment.extract()?;
    let mut leaves = Vec::new();
    collect(&merged, String::new(), &mut leaves);
    let lines: Vec<(String, String)> = leaves
        .into_iter()
        .map(|(key, value)| {
            let shown = shown_value(&key, value);
            let layer = figment.find_metadata(&key).map_or_else(|| "built-in default".into(), |m| layer(m, &key));
            (format!("{key} = {shown}"), layer)
        })
        .collect();
    let width = lines.iter().map(|(line, _)| line.chars().count()).max().unwrap_or(0).min(72);
    for (line, layer) in lines {
        let pad = width.saturating_sub(line.chars().count());
        let _ = writeln!(out, "{line}{:pad$}  # {layer}", "");
    }
    Ok(out)
}

/// Every leaf of the merged configuration, with its dotted key.
fn collect<'a>(value: &'a Value, prefix: String, leaves: &mut Vec<(String, &'a Value)>) {
    match value {
        Value::Dict(_, dict) => {
            for (key, value) in dict {
                let path = if prefix.is_empty() { key.clone() } else { format!("{prefix}.{key}") };
                collect(value, path, leaves);
            }
        }
        leaf => leaves.push((prefix, leaf)),
    }
}

fn shown_value(key: &str, value: &Value) -> String {
    let text = value.as_str();
    if SECRETS.contains(&key) {
        return match text {
            Some("") => "\"\"".into(),
            _ => "\"<redacted>\"".into(),
        };
    }
    if matches!(key, "database.url" | "database.read_url" | "database.listen_url")
        && let Some(url) = text
    {
        return format!("{:?}", redact_password(url));
    }
    serde_json::to_string(value).unwrap_or_else(|_| format!("{value:?}"))
}

/// A connection URL without its password.
pub fn redact_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_owned() };
    let (authority, tail) = rest.split_at(rest.find(['/', '?']).unwrap_or(rest.len()));
    match authority.rsplit_once('@') {
        Some((user_info, host)) => match user_info.split_once(':') {
            Some((user, _)) => format!("{scheme}://{user}:<redacted>@{host}{tail}"),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

/// In words, where a value came from.
fn layer(metadata: &Metadata, key: &str) -> String {
    if super::is_built_in(metadata) {
        return "built-in default".into();
    }
    if let Some(figment::Source::File(path)) = &metadata.source {
        return format!("file {}", path.display());
    }
    let name = metadata.name.as_ref();
    if name.contains("DATAIP__") {
        format!("environment DATAIP__{}", key.replace('.', "__").to_ascii_uppercase())
    } else if name.contains("environment") {
        "environment DATABASE_URL".into()
    } else if name == "command line" {
        format!("command line --{}", key.replace('_', "-"))
    } else {
        "built-in default".into()
    }
}

fn absolute(path: &std::path::Path) -> String {
    std::path::absolute(path).unwrap_or_else(|_| path.to_owned()).display().to_string()
}

/// Where a secret comes from: configuration, or a file in the data directory.
fn secret_source(given: bool, setting: &str, file: &std::path::Path) -> String {
    if given {
        return format!("{setting} (given in configuration)");
    }
    let state = if file.is_file() { "exists" } else { "created on first start" };
    format!("{} ({state})", absolute(file))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_taken_out_of_urls() {
        assert_eq!(redact_password("postgres://app:s3cret@db:5432/dataip"), "postgres://app:<redacted>@db:5432/dataip");
        assert_eq!(redact_password("postgres://postgres@127.0.0.1/dataip"), "postgres://postgres@127.0.0.1/dataip");
        assert_eq!(redact_password("postgres://a:b@h/d?x=y@z"), "postgres://a:<redacted>@h/d?x=y@z");
        assert_eq!(redact_password("not a url"), "not a url");
    }

    #[test]
    #[allow(clippy::result_large_err)] // figment's Jail API fixes the error type
    fn every_value_is_shown_with_its_layer_and_secrets_are_not() {
        figment::Jail::expect_with(|jail| {
            jail.clear_env();
            jail.create_dir("conf")?;
            jail.create_file("conf/development.toml", "[worker]\ninterval = \"PT1S\"\n")?;
            jail.set_env("DATAIP__SERVER__ADDR", "127.0.0.1:9000");
            jail.set_env("DATAIP__AUTH__JWT_SECRET", "a-very-secret-value-of-32-bytes-or-more");
            jail.set_env("DATABASE_URL", "postgres://app:s3cret@db/dataip");
            let overrides =
                Overrides { config_dir: Some(jail.directory().join("conf")), data_dir: Some("/srv/dataip".into()) };
            let text = show(&overrides).map_err(|e| e.to_string())?;
            let line = |key: &str| text.lines().find(|l| l.starts_with(&format!("{key} = "))).unwrap_or_default();
            assert!(line("server.addr").contains("# environment DATAIP__SERVER__ADDR"), "{text}");
            assert!(line("worker.interval").contains("development.toml"), "{text}");
            assert!(line("registry.code").ends_with("# built-in default"), "{text}");
            assert!(line("data_dir").contains("\"/srv/dataip\"") && line("data_dir").contains("--data-dir"), "{text}");
            assert!(line("database.url").contains("<redacted>") && line("database.url").contains("DATABASE_URL"));
            assert!(line("auth.jwt_secret").contains("\"<redacted>\""), "{text}");
            assert!(!text.contains("s3cret") && !text.contains("a-very-secret"), "{text}");
            assert!(text.contains("# token secret: auth.jwt_secret (given in configuration)"), "{text}");
            assert!(text.contains("# signing key: /srv/dataip/signing.key"), "{text}");
            Ok(())
        });
    }
}
