//! The languages the registry speaks, to people on its pages and in its
//! mail: a page's comes from `?lang=` in the address (carried by every link,
//! so no cookie is needed), else the browser's `Accept-Language`, else
//! Chinese; a recipient's is their setting.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    ZhCn,
    En,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::ZhCn, Lang::En];

    /// The BCP 47 tag, as `<html lang>` and `hreflang` want it.
    pub fn tag(self) -> &'static str {
        match self {
            Self::ZhCn => "zh-CN",
            Self::En => "en",
        }
    }

    /// A `lang` value from the address: `zh-CN` (or `zh`), `en`.
    pub fn parse(value: &str) -> Option<Self> {
        let value = value.trim().to_ascii_lowercase();
        match value.as_str() {
            "zh" | "zh-cn" | "zh-hans" | "zh-hans-cn" => Some(Self::ZhCn),
            "en" | "en-us" | "en-gb" => Some(Self::En),
            _ => None,
        }
    }

    /// The language of the most preferred tag of an `Accept-Language`
    /// header that the registry speaks; Chinese when none is.
    pub fn negotiate(accept_language: Option<&str>) -> Self {
        let Some(accepted) = accept_language else {
            return Self::ZhCn;
        };
        let mut best: Option<(f32, Self)> = None;
        for range in accepted.split(',') {
            let mut parts = range.split(';');
            let tag = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
            let quality =
                parts.find_map(|p| p.trim().strip_prefix("q=").and_then(|q| q.parse::<f32>().ok())).unwrap_or(1.0);
            let lang = match tag.split('-').next() {
                Some("zh") => Self::ZhCn,
                Some("en") => Self::En,
                _ => continue,
            };
            if quality > 0.0 && best.is_none_or(|(q, _)| quality > q) {
                best = Some((quality, lang));
            }
        }
        best.map_or(Self::ZhCn, |(_, lang)| lang)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accepting(value: &'static str) -> Lang {
        Lang::negotiate(Some(value))
    }

    #[test]
    fn the_most_preferred_language_spoken_here_wins() {
        assert_eq!(Lang::negotiate(None), Lang::ZhCn);
        assert_eq!(accepting("en-US,en;q=0.9"), Lang::En);
        assert_eq!(accepting("fr, en;q=0.5, zh-CN;q=0.8"), Lang::ZhCn);
        assert_eq!(accepting("de, fr"), Lang::ZhCn);
        assert_eq!(accepting("zh-TW;q=0, en;q=0.1"), Lang::En);
        assert_eq!(Lang::parse("EN"), Some(Lang::En));
        assert_eq!(Lang::parse("ja"), None);
    }
}
