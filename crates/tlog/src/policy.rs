//! C2SP tlog-policy files: which logs a verifier accepts, which witnesses
//! it knows, and the quorum of cosignatures a checkpoint needs.
//!
//! # Examples
//!
//! ```
//! use std::collections::HashSet;
//!
//! use tlog::{note::{self, COSIGNATURE_V1_TYPE, ED25519_TYPE}, policy::Policy, signing::Signer};
//!
//! let key = |seed: u8, name: &str, kind: u8| -> anyhow::Result<String> {
//!     Ok(note::verifier_key(name, kind, &Signer::from_seed(&[seed; 32])?).to_string())
//! };
//! let text = format!(
//!     "log {}\nwitness A {}\nwitness B {}\ngroup AB any A B\nquorum AB\n",
//!     key(1, "example.org/log", ED25519_TYPE)?,
//!     key(2, "a.example", COSIGNATURE_V1_TYPE)?,
//!     key(3, "b.example", COSIGNATURE_V1_TYPE)?,
//! );
//! let policy = Policy::parse(&text)?;
//! assert_eq!(policy.logs[0].key.name, "example.org/log");
//! assert!(policy.quorum_met(&HashSet::from(["B"])));
//! assert!(!policy.quorum_met(&HashSet::new()));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::{HashMap, HashSet};

use crate::note::{COSIGNATURE_V1_TYPE, ED25519_TYPE, VerifierKey};

/// A log the policy accepts checkpoints of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Log {
    /// Its verifier key (type 0x01), named after its origin.
    pub key: VerifierKey,
    /// Where it can be read, if the policy says.
    pub url: Option<String>,
}

/// A witness the policy knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Witness {
    /// Its name in the policy (what groups and the quorum name).
    pub name: String,
    /// Its verifier key (type 0x04).
    pub key: VerifierKey,
    /// Where it can be reached, if the policy says.
    pub url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Group {
    threshold: usize,
    members: Vec<String>,
}

/// A parsed tlog-policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// The logs it accepts.
    pub logs: Vec<Log>,
    /// The witnesses it knows.
    pub witnesses: Vec<Witness>,
    groups: HashMap<String, Group>,
    /// A witness's or group's name, or `none`.
    pub quorum: String,
}

impl Policy {
    /// Parses a policy file: `log`, `witness`, `group` and `quorum` lines,
    /// blank lines and `#` comments.
    ///
    /// # Errors
    ///
    /// What is wrong, with its line number.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut policy =
            Self { logs: Vec::new(), witnesses: Vec::new(), groups: HashMap::new(), quorum: String::new() };
        let mut quorum = None;
        for (number, line) in text.split('\n').enumerate() {
            let at = |what: String| format!("policy line {}: {what}", number + 1);
            if line.bytes().any(|b| b < 0x20 && b != b'\t' || b == 0x7f) {
                return Err(at("a control character".into()));
            }
            let words: Vec<&str> = line.split([' ', '\t']).filter(|w| !w.is_empty()).collect();
            match words.as_slice() {
                [] => {}
                [first, ..] if first.starts_with('#') => {}
                ["log", key, rest @ ..] if rest.len() <= 1 => {
                    let key = typed_key(key, ED25519_TYPE).map_err(at)?;
                    if policy.logs.iter().any(|log| log.key.same_key(&key)) {
                        return Err(at("a log listed twice".into()));
                    }
                    policy.logs.push(Log { key, url: rest.first().map(|url| (*url).to_owned()) });
                }
                ["witness", name, key, rest @ ..] if rest.len() <= 1 => {
                    let key = typed_key(key, COSIGNATURE_V1_TYPE).map_err(at)?;
                    policy.define(name).map_err(at)?;
                    if policy.witnesses.iter().any(|witness| witness.key.same_key(&key)) {
                        return Err(at("a witness listed twice".into()));
                    }
                    let url = rest.first().map(|url| (*url).to_owned());
                    policy.witnesses.push(Witness { name: (*name).to_owned(), key, url });
                }
                ["group", name, threshold, members @ ..] if !members.is_empty() => {
                    let mut seen = HashSet::new();
                    for member in members {
                        if !policy.is_defined(member) || *member == "none" {
                            return Err(at(format!("`{member}` is not defined on an earlier line")));
                        }
                        if !seen.insert(*member) {
                            return Err(at(format!("`{member}` is listed twice")));
                        }
                    }
                    let threshold = match *threshold {
                        "all" => members.len(),
                        "any" => 1,
                        k => k.parse().ok().filter(|k| (1..=members.len()).contains(k)).ok_or_else(|| {
                            at(format!("the threshold `{k}` is not all, any or 1 to {}", members.len()))
                        })?,
                    };
                    policy.define(name).map_err(at)?;
                    let members = members.iter().map(|m| (*m).to_owned()).collect();
                    policy.groups.insert((*name).to_owned(), Group { threshold, members });
                }
                ["quorum", name] => {
                    if quorum.is_some() {
                        return Err(at("a second quorum line".into()));
                    }
                    if *name != "none" && !policy.is_defined(name) {
                        return Err(at(format!("`{name}` is not defined on an earlier line")));
                    }
                    quorum = Some((*name).to_owned());
                }
                _ => return Err(at(format!("`{}` is not a log, witness, group or quorum line", line.trim()))),
            }
        }
        policy.quorum = quorum.ok_or("the policy has no quorum line")?;
        Ok(policy)
    }

    fn is_defined(&self, name: &str) -> bool {
        self.groups.contains_key(name) || self.witnesses.iter().any(|w| w.name == name)
    }

    fn define(&self, name: &str) -> Result<(), String> {
        if name == "none" || self.is_defined(name) {
            return Err(format!("the name `{name}` is already taken"));
        }
        Ok(())
    }

    /// Whether the witnesses named (by their policy names) meet the quorum.
    pub fn quorum_met(&self, cosigned: &HashSet<&str>) -> bool {
        self.witnessed(&self.quorum, cosigned)
    }

    fn witnessed(&self, name: &str, cosigned: &HashSet<&str>) -> bool {
        if name == "none" {
            return true;
        }
        match self.groups.get(name) {
            Some(group) => {
                group.members.iter().filter(|member| self.witnessed(member, cosigned)).count() >= group.threshold
            }
            None => cosigned.contains(name),
        }
    }

    /// A policy of one log whose witnesses must all cosign (`k` of them
    /// when given), as the registry suggests it.
    ///
    /// # Examples
    ///
    /// ```
    /// use tlog::{note::{self, ED25519_TYPE}, policy::{Log, Policy}, signing::Signer};
    ///
    /// let key = note::verifier_key("example.org/log", ED25519_TYPE, &Signer::from_seed(&[1u8; 32])?);
    /// let text = Policy::suggested(Log { key, url: Some("https://example.org/log".into()) }, vec![]);
    /// assert!(text.ends_with("quorum none\n"));
    /// assert_eq!(Policy::parse(&text)?.logs.len(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn suggested(log: Log, witnesses: Vec<Witness>) -> String {
        let mut text = String::from("# The registry's log and the witnesses it asks to cosign (C2SP tlog-policy).\n");
        text.push_str(&line("log", &[&log.key.to_string()], log.url.as_deref()));
        for witness in &witnesses {
            text.push_str(&line("witness", &[&witness.name, &witness.key.to_string()], witness.url.as_deref()));
        }
        if witnesses.is_empty() {
            text.push_str("quorum none\n");
        } else {
            let names: Vec<&str> = witnesses.iter().map(|w| w.name.as_str()).collect();
            text.push_str(&format!("group witnesses all {}\nquorum witnesses\n", names.join(" ")));
        }
        text
    }
}

fn line(keyword: &str, words: &[&str], url: Option<&str>) -> String {
    let mut line = format!("{keyword} {}", words.join(" "));
    if let Some(url) = url {
        line.push(' ');
        line.push_str(url);
    }
    line.push('\n');
    line
}

fn typed_key(text: &str, kind: u8) -> Result<VerifierKey, String> {
    let key = VerifierKey::parse(text)?;
    if key.kind != kind {
        return Err(format!("the key of `{}` has signature type {:#04x}, not {kind:#04x}", key.name, key.kind));
    }
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{note::verifier_key, signing::Signer};

    fn key(seed: u8, name: &str, kind: u8) -> String {
        verifier_key(name, kind, &Signer::from_seed(&[seed; 32]).expect("key")).to_string()
    }

    #[test]
    fn nested_groups_decide_the_quorum() {
        let text = format!(
            "# comment\nlog {}\n\nwitness X1 {}\nwitness X2 {}\nwitness X3 {}\ngroup X 2 X1 X2 X3\n\
             witness Y1 {} https://y1.example/\ngroup Y any Y1\n  group XY all X Y\nquorum XY\n",
            key(1, "log.example/tlog", ED25519_TYPE),
            key(2, "x1.example", COSIGNATURE_V1_TYPE),
            key(3, "x2.example", COSIGNATURE_V1_TYPE),
            key(4, "x3.example", COSIGNATURE_V1_TYPE),
            key(5, "y1.example", COSIGNATURE_V1_TYPE),
        );
        let policy = Policy::parse(&text).expect("parses");
        assert_eq!(policy.logs.len(), 1);
        assert_eq!(policy.witnesses[3].url.as_deref(), Some("https://y1.example/"));
        assert!(policy.quorum_met(&HashSet::from(["X1", "X3", "Y1"])));
        assert!(!policy.quorum_met(&HashSet::from(["X1", "Y1"])));
        assert!(!policy.quorum_met(&HashSet::from(["X1", "X2", "X3"])));
    }

    #[test]
    fn malformed_policies_say_where() {
        let log = key(1, "log.example/tlog", ED25519_TYPE);
        let witness = key(2, "w.example", COSIGNATURE_V1_TYPE);
        assert!(Policy::parse(&format!("log {log}\n")).is_err_and(|e| e.contains("no quorum")));
        assert!(Policy::parse("quorum W\n").is_err_and(|e| e.contains("line 1")));
        assert!(Policy::parse(&format!("witness W {log}\nquorum W\n")).is_err_and(|e| e.contains("type")));
        assert!(Policy::parse(&format!("witness W {witness}\nwitness V {witness}\nquorum W\n")).is_err());
        assert!(Policy::parse(&format!("witness W {witness}\ngroup G 2 W\nquorum G\n")).is_err());
        assert!(Policy::parse(&format!("witness W {witness}\ngroup G all W W\nquorum G\n")).is_err());
        assert!(Policy::parse("quorum none\nquorum none\n").is_err());
        let none = Policy::parse("quorum none\n").expect("parses");
        assert!(none.quorum_met(&HashSet::new()));
    }

    #[test]
    fn suggested_policies_parse() {
        let log = Log { key: VerifierKey::parse(&key(1, "log.example/tlog", ED25519_TYPE)).expect("key"), url: None };
        let witness = Witness {
            name: "w1".into(),
            key: VerifierKey::parse(&key(2, "w1.example", COSIGNATURE_V1_TYPE)).expect("key"),
            url: Some("http://w1.example".into()),
        };
        let policy = Policy::parse(&Policy::suggested(log, vec![witness])).expect("parses");
        assert!(policy.quorum_met(&HashSet::from(["w1"])));
        assert!(!policy.quorum_met(&HashSet::new()));
    }
}
