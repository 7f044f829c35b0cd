//! The page's language: `?lang=` in the address (carried by every link, so
//! no cookie is needed), else the browser's `Accept-Language`, else Chinese.

use axum::http::{HeaderMap, header};

use super::messages::{self, Messages};

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

    pub fn messages(self) -> &'static Messages {
        match self {
            Self::ZhCn => &messages::ZH_CN,
            Self::En => &messages::EN,
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

    /// The language of the most preferred tag this portal speaks; Chinese
    /// when none is.
    pub fn negotiate(headers: &HeaderMap) -> Self {
        let Some(accepted) = headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()) else {
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
    use axum::http::HeaderValue;

    use super::*;

    fn accepting(value: &'static str) -> Lang {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT_LANGUAGE, HeaderValue::from_static(value));
        Lang::negotiate(&headers)
    }

    #[test]
    fn the_most_preferred_language_spoken_here_wins() {
        assert_eq!(Lang::negotiate(&HeaderMap::new()), Lang::ZhCn);
        assert_eq!(accepting("en-US,en;q=0.9"), Lang::En);
        assert_eq!(accepting("fr, en;q=0.5, zh-CN;q=0.8"), Lang::ZhCn);
        assert_eq!(accepting("de, fr"), Lang::ZhCn);
        assert_eq!(accepting("zh-TW;q=0, en;q=0.1"), Lang::En);
        assert_eq!(Lang::parse("EN"), Some(Lang::En));
        assert_eq!(Lang::parse("ja"), None);
    }
}
