//! The act forms of a certificate's page, one per kind the holder files,
//! each control named as the API names its field; and a posted form read
//! as the API's body (`NewAct`), by the API's own reader, so that every
//! problem is the API's, under the API's field name.

use serde_json::{Map, Value};
use uuid::Uuid;

use super::{Filing, Loaded, acts::ActWords};
use crate::workbench::page::{Ctx, FieldErrors, api_name};
use crate::{
    domain::authorization,
    input::{Body, BodyError},
    services::certificates::acts::NewAct,
};

/// One control of an act's form.
pub struct Control {
    pub id: String,
    /// The API's field name, nested as `a[b]`, `a[0][b]`.
    pub name: &'static str,
    pub label: &'static str,
    /// `text`, `email`, `date`, `textarea`, `checkbox` or `select`.
    pub input: &'static str,
    pub value: String,
    pub error: Option<String>,
    pub hint: Option<&'static str>,
    pub required: bool,
    pub maxlength: Option<u32>,
    pub inputmode: Option<&'static str>,
    pub autocomplete: Option<&'static str>,
    /// A select's options: value and words.
    pub options: Vec<(String, String)>,
}

impl Control {
    /// What describes the control: its hint and its error.
    pub fn described(&self) -> String {
        let mut ids = Vec::new();
        if self.hint.is_some() {
            ids.push(format!("{}-hint", self.id));
        }
        if self.error.is_some() {
            ids.push(format!("{}-error", self.id));
        }
        ids.join(" ")
    }

    pub fn checked(&self) -> bool {
        self.value == "true"
    }

    fn hint(mut self, hint: &'static str) -> Self {
        self.hint = Some(hint);
        self
    }

    fn required(mut self) -> Self {
        self.required = true;
        self
    }

    fn max(mut self, length: u32) -> Self {
        self.maxlength = Some(length);
        self
    }

    fn mode(mut self, inputmode: &'static str) -> Self {
        self.inputmode = Some(inputmode);
        self
    }

    fn complete(mut self, autocomplete: &'static str) -> Self {
        self.autocomplete = Some(autocomplete);
        self
    }

    fn options(mut self, options: Vec<(String, String)>) -> Self {
        self.options = options;
        self
    }
}

/// Controls under one legend (or none).
pub struct Group {
    pub legend: Option<&'static str>,
    pub controls: Vec<Control>,
}

/// The form of one act kind.
pub struct ActForm {
    /// The API's `kind`, sent hidden.
    pub kind: &'static str,
    pub title: &'static str,
    pub intro: &'static str,
    pub groups: Vec<Group>,
    pub button: &'static str,
    pub danger: bool,
    pub confirm: Option<&'static str>,
    /// Shown opened: the form just posted.
    pub open: bool,
    /// Said instead of the form when it cannot be filed (no pledge to release).
    pub unavailable: Option<&'static str>,
    /// Makes a repeated post (a reload) file nothing twice.
    pub key: String,
}

/// Makes the controls of one form, each with what was typed in it and its
/// error when that form was the one posted.
struct Builder<'a> {
    kind: &'static str,
    filing: &'a Filing,
}

impl Builder<'_> {
    fn posted(&self) -> bool {
        self.filing.kind == self.kind
    }

    fn control(&self, name: &'static str, label: &'static str, input: &'static str, default: &str) -> Control {
        let (value, error) = match self.posted() {
            true => {
                let typed = self.filing.typed.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone());
                (typed.unwrap_or_default(), self.filing.errors.on(name).map(str::to_owned))
            }
            false => (default.to_owned(), None),
        };
        let id = format!("{}-{}", self.kind, name.replace(['[', ']'], "-").replace("--", "-").trim_end_matches('-'));
        Control {
            id,
            name,
            label,
            input,
            value,
            error,
            hint: None,
            required: false,
            maxlength: None,
            inputmode: None,
            autocomplete: None,
            options: Vec::new(),
        }
    }

    fn form(&self, title: &'static str, intro: &'static str, button: &'static str) -> ActForm {
        ActForm {
            kind: self.kind,
            title,
            intro,
            groups: Vec::new(),
            button,
            danger: false,
            confirm: None,
            open: self.posted(),
            unavailable: None,
            key: Uuid::now_v7().simple().to_string(),
        }
    }
}

/// A group of controls.
fn group(legend: Option<&'static str>, controls: Vec<Control>) -> Group {
    Group { legend, controls }
}

/// The forms, one per kind the holder files.
pub(super) fn forms(ctx: &Ctx, loaded: &Loaded, filing: &Filing) -> Vec<ActForm> {
    let w = ActWords::of(ctx.lang);
    let b = |kind| Builder { kind, filing };

    let l = b("license");
    let mut license = l.form(w.title_license, w.intro_license, w.file_license);
    license.groups = vec![
        group(
            Some(w.licensee),
            vec![
                l.control("licensee[name]", w.name, "text", "").required().max(200).complete("organization"),
                l.control("licensee[credit_code]", w.credit_code, "text", "").hint(w.one_of).complete("off"),
                l.control("licensee[id_number]", w.id_number, "text", "").complete("off"),
                l.control("licensee[contact_email]", w.contact_email, "email", "")
                    .hint(w.licensee_contact)
                    .complete("email"),
            ],
        ),
        group(
            None,
            vec![
                l.control("exclusive", w.exclusive, "checkbox", ""),
                l.control("scope", w.scope, "textarea", "").required().max(2000),
                l.control("starts_on", w.starts_on, "date", "").required(),
                l.control("ends_on", w.ends_on, "date", "").required(),
            ],
        ),
    ];

    let p = b("pledge");
    let mut pledge = p.form(w.title_pledge, w.intro_pledge, w.file_pledge);
    pledge.groups = vec![
        group(
            Some(w.pledgee),
            vec![
                p.control("pledgee[name]", w.name, "text", "").required().max(200).complete("organization"),
                p.control("pledgee[credit_code]", w.credit_code, "text", "").required().hint(w.pledgee_code),
                p.control("pledgee[contact_email]", w.contact_email, "email", "")
                    .hint(w.pledgee_contact)
                    .complete("email"),
            ],
        ),
        group(
            Some(w.secured_amount),
            vec![
                p.control("secured_amount[amount]", w.amount, "text", "")
                    .required()
                    .hint(w.amount_hint)
                    .mode("decimal"),
                p.control("secured_amount[currency]", w.currency, "text", "CNY").required().hint(w.currency_hint),
            ],
        ),
        group(
            None,
            vec![
                p.control("starts_on", w.starts_on, "date", "").required(),
                p.control("ends_on", w.ends_on, "date", "").required(),
            ],
        ),
    ];

    let r = b("pledge_release");
    let mut release = r.form(w.title_pledge_release, w.intro_pledge_release, w.file_pledge_release);
    let pledges: Vec<(String, String)> = loaded
        .pledges
        .iter()
        .map(|p| {
            let term = format!("{} – {}", ctx.date(p.starts_on), ctx.date(p.ends_on));
            (p.act_id.to_string(), format!("{}. {} · {} {} · {term}", p.rank, p.pledgee_name, p.amount, p.currency))
        })
        .collect();
    match pledges.is_empty() {
        true => release.unavailable = Some(w.no_pledges),
        false => {
            release.groups =
                vec![group(None, vec![r.control("pledge_id", w.pledge_id, "select", "").required().options(pledges)])]
        }
    }

    let t = b("transfer");
    let mut transfer = t.form(w.title_transfer, w.intro_transfer, w.file_transfer);
    transfer.groups = vec![group(
        None,
        vec![
            t.control("transferee_credit_code", w.transferee_credit_code, "text", "").complete("off"),
            t.control("transferee_id_number", w.transferee_id_number, "text", "").complete("off"),
            t.control("transferee_contact_email", w.transferee_contact_email, "email", "")
                .hint(w.transferee_contact)
                .complete("email"),
        ],
    )];
    transfer.danger = true;
    transfer.confirm = Some(w.confirm_transfer);

    let c = b("change");
    let mut change = c.form(w.title_change, w.intro_change, w.file_change);
    let mut agreements = vec![(String::new(), w.data_source_none.to_owned())];
    agreements.extend(authorization::agreements(&loaded.data_sources).map(|a| {
        let ends = ctx.date(a.ends_on);
        (a.index.to_string(), format!("{}. {} ({} {ends})", a.index, a.source.description, w.agreement_until))
    }));
    let mut controls = vec![
        c.control("product_name", w.product_name, "text", "").max(100),
        c.control("abstract", w.abstract_label, "textarea", "").max(2000),
    ];
    if agreements.len() > 1 {
        controls
            .push(c.control("extended_agreements[0][data_source]", w.data_source, "select", "").options(agreements));
        controls.push(c.control("extended_agreements[0][agreement_ends_on]", w.agreement_ends_on, "date", ""));
    }
    change.groups = vec![group(None, controls)];

    let n = b("renewal");
    let renewal = n.form(w.title_renewal, w.intro_renewal, w.file_renewal);

    let x = b("cancellation");
    let mut cancellation = x.form(w.title_cancellation, w.intro_cancellation, w.file_cancellation);
    cancellation.groups = vec![group(None, vec![x.control("reason", w.reason, "textarea", "").required().max(2000)])];
    cancellation.danger = true;
    cancellation.confirm = Some(w.confirm_cancellation);

    vec![license, pledge, release, transfer, change, renewal, cancellation]
}

/// The summary above the forms: every error of the form posted, with the
/// id of its control where it has one.
pub(super) fn summary(forms: &[ActForm], filing: &Filing) -> Vec<(String, Option<String>)> {
    let controls: Vec<&Control> = forms
        .iter()
        .filter(|form| form.kind == filing.kind)
        .flat_map(|form| form.groups.iter().flat_map(|group| group.controls.iter()))
        .collect();
    filing
        .errors
        .all()
        .map(|(field, message)| {
            let wanted = api_name(field);
            let control = controls.iter().find(|control| api_name(control.name) == wanted);
            let said = match field.is_empty() || control.is_some() {
                true => message.to_owned(),
                false => format!("{field}: {message}"),
            };
            (said, control.map(|control| control.id.clone()))
        })
        .collect()
}

/// The hidden field that makes a repeated post file nothing twice: the
/// API's `Idempotency-Key`.
pub(super) const KEY: &str = "idempotency_key";

/// Array fields hold at most this many rows (the API's longest list of an
/// act, `extended_agreements`, has 20).
const MAX_ROWS: usize = 20;

/// Nesting deeper than this is not read as nesting (as `form::Submitted`).
const MAX_DEPTH: usize = 4;

/// A control's name as its path: `a[b][0][c]` → `a`, `b`, `0`, `c`. A
/// name that is not of that shape, or nests too deep, is one key.
fn path_of(name: &str) -> Vec<&str> {
    let Some(open) = name.find('[') else { return vec![name] };
    let mut path = vec![&name[..open]];
    let mut rest = &name[open..];
    while !rest.is_empty() {
        let Some(close) = rest.find(']').filter(|_| rest.starts_with('[')) else { return vec![name] };
        path.push(&rest[1..close]);
        rest = &rest[close + 1..];
    }
    if path.len() > MAX_DEPTH || path.iter().any(|segment| segment.is_empty()) {
        return vec![name];
    }
    path
}

fn is_index(segment: &str) -> bool {
    !segment.is_empty() && segment.bytes().all(|b| b.is_ascii_digit())
}

/// Puts `value` at `path` in `target`, making the objects and arrays on
/// the way; the first value sent for a place wins.
fn put(target: &mut Value, path: &[&str], value: Value) {
    let Some((first, rest)) = path.split_first() else { return };
    let container = |next: &str| if is_index(next) { Value::Array(Vec::new()) } else { Value::Object(Map::new()) };
    let slot = match target {
        Value::Object(map) => match rest.first() {
            None => {
                map.entry(first.to_string()).or_insert(value);
                return;
            }
            Some(next) => map.entry(first.to_string()).or_insert_with(|| container(next)),
        },
        Value::Array(items) => {
            let Some(index) = first.parse::<usize>().ok().filter(|index| *index < MAX_ROWS) else { return };
            if items.len() <= index {
                items.resize(index + 1, Value::Null);
            }
            let slot = &mut items[index];
            match rest.first() {
                None => {
                    if slot.is_null() {
                        *slot = value;
                    }
                    return;
                }
                Some(next) if slot.is_null() => {
                    *slot = container(next);
                    slot
                }
                Some(_) => slot,
            }
        }
        _ => return,
    };
    put(slot, rest, value);
}

/// The form as the API's body: each field at its path, empty ones left
/// out (as `form::Submitted::decode`), the licence's check box a boolean
/// and a data source's position a number, read by the API's reader.
pub(super) fn new_act(kind: &str, fields: &[(String, String)]) -> Result<NewAct, FieldErrors> {
    let mut body = Value::Object(Map::new());
    put(&mut body, &["kind"], Value::String(kind.to_owned()));
    for (name, value) in fields {
        if name == "kind" || name == KEY || value.trim().is_empty() {
            continue;
        }
        let path = path_of(name);
        let value = match path.last().copied() {
            Some("exclusive") if path.len() == 1 => Value::Bool(matches!(value.as_str(), "true" | "on")),
            Some("data_source") => {
                value.trim().parse::<u64>().map_or_else(|_| Value::String(value.clone()), Value::from)
            }
            _ => Value::String(value.clone()),
        };
        put(&mut body, &path, value);
    }
    if kind == "license" {
        // An unticked box sends nothing: not exclusive.
        put(&mut body, &["exclusive"], Value::Bool(false));
    }
    let mut errors = FieldErrors::default();
    let bytes = match serde_json::to_vec(&body) {
        Ok(bytes) => bytes,
        Err(error) => {
            errors.add("", error.to_string());
            return Err(errors);
        }
    };
    match NewAct::from_json(&bytes) {
        Ok(act) => Ok(act),
        Err(BodyError::Invalid(problems)) => {
            for problem in problems {
                errors.add(&problem.field, problem.message);
            }
            Err(errors)
        }
        Err(BodyError::Malformed(message)) => {
            errors.add("", message);
            Err(errors)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn forms_are_read_as_the_apis_bodies() {
        let pledge = fields(&[
            ("kind", "pledge"),
            ("pledgee[name]", "上海银行"),
            ("pledgee[credit_code]", "91310000MA1FL4B24G"),
            ("pledgee[contact_email]", ""),
            ("secured_amount[amount]", "100.00"),
            ("secured_amount[currency]", "CNY"),
            ("starts_on", "2027-01-01"),
            ("ends_on", "2027-12-31"),
            (KEY, "k"),
        ]);
        assert!(matches!(new_act("pledge", &pledge), Ok(NewAct::Pledge(_))));

        let license = fields(&[("licensee[name]", "x"), ("scope", "s"), ("starts_on", "2027-13-01")]);
        let errors = new_act("license", &license).expect_err("refused");
        assert!(errors.on("starts_on").is_some(), "{errors:?}");
        assert!(errors.on("ends_on").is_some(), "{errors:?}");
        assert!(errors.on("exclusive").is_none(), "an unticked box is false");

        let change = fields(&[
            ("extended_agreements[0][data_source]", "1"),
            ("extended_agreements[0][agreement_ends_on]", "2030-01-01"),
        ]);
        assert!(matches!(new_act("change", &change), Ok(NewAct::Change(_))));
        assert!(new_act("change", &fields(&[("extended_agreements[99999999][data_source]", "1")])).is_ok());
    }

    #[test]
    fn names_become_paths() {
        assert_eq!(path_of("a[b][0][c]"), vec!["a", "b", "0", "c"]);
        assert_eq!(path_of("scope"), vec!["scope"]);
        assert_eq!(path_of("a[b"), vec!["a[b"]);
        assert_eq!(path_of("a[][b]"), vec!["a[][b]"]);
        assert_eq!(path_of("a[b][c][d][e]"), vec!["a[b][c][d][e]"]);
    }
}
