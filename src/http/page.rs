//! What every page of the web edge shares, the portal's and the
//! workbench's: its language and addresses (links that keep a chosen
//! language, alternates, the path rebuilt from the route), dates on the
//! registry's calendar, and how a page is rendered.

use askama::Template;
use axum::{
    extract::{FromRequestParts, MatchedPath, RawPathParams},
    http::{StatusCode, header, request::Parts},
    response::{IntoResponse, Response},
};
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use crate::{domain::Lang, state::AppState};

/// The page's language and where it lives, for links and alternates.
#[derive(Debug, Clone)]
pub struct Place {
    pub lang: Lang,
    /// `lang` came in the address: links keep it, so that a reader who
    /// chose a language keeps it whatever their browser prefers.
    explicit: bool,
    pub registry_name: String,
    /// The registry's public address, without a trailing slash.
    pub public_url: String,
    /// This page's path, rebuilt from the route it matched (see
    /// [`route_path`]).
    pub path: String,
    /// The query without `lang`.
    query: Vec<(String, String)>,
    zone: Tz,
    /// Keeps the page out of search engines (tracking pages).
    pub noindex: bool,
}

impl FromRequestParts<AppState> for Place {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let mut chosen = None;
        let mut query = Vec::new();
        for (name, value) in form_urlencoded::parse(parts.uri.query().unwrap_or_default().as_bytes()) {
            match name.as_ref() {
                "lang" => chosen = chosen.or(Lang::parse(&value)),
                _ => query.push((name.into_owned(), value.into_owned())),
            }
        }
        let lang = chosen.unwrap_or_else(|| {
            Lang::negotiate(parts.headers.get(header::ACCEPT_LANGUAGE).and_then(|value| value.to_str().ok()))
        });
        let config = &state.config.registry;
        Ok(Self {
            lang,
            explicit: chosen.is_some(),
            registry_name: config.name.clone(),
            public_url: config.public_url.trim_end_matches('/').to_owned(),
            path: route_path(parts).await,
            query,
            zone: config.time_zone,
            noindex: false,
        })
    }
}

impl Place {
    /// `path` (which may hold a query) in this page's language.
    pub fn link(&self, path: &str) -> String {
        if !self.explicit && self.lang == Lang::ZhCn {
            return path.to_owned();
        }
        with_lang(path, self.lang)
    }

    /// `path` with `pairs` as its query (empty values left out), in this
    /// page's language.
    pub fn link_with(&self, path: &str, pairs: &[(&str, &str)]) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        for (name, value) in pairs.iter().filter(|(_, value)| !value.is_empty()) {
            query.append_pair(name, value);
        }
        let query = query.finish();
        self.link(&if query.is_empty() { path.to_owned() } else { format!("{path}?{query}") })
    }

    /// An absolute address on this registry, in this page's language.
    pub fn absolute(&self, path: &str) -> String {
        format!("{}{}", self.public_url, self.link(path))
    }

    /// This page in `lang`, absolute (for `hreflang`).
    pub fn alternate(&self, lang: Lang) -> String {
        format!("{}{}", self.public_url, with_lang(&self.this_page(false), lang))
    }

    pub fn alternate_zh(&self) -> String {
        self.alternate(Lang::ZhCn)
    }

    pub fn alternate_en(&self) -> String {
        self.alternate(Lang::En)
    }

    /// The hidden `lang` field a GET form carries so that its results stay
    /// in this page's language.
    pub fn lang_field(&self) -> Option<&'static str> {
        (self.explicit || self.lang != Lang::ZhCn).then_some(self.lang.tag())
    }

    /// This page without a language: what `x-default` points at.
    pub fn canonical(&self) -> String {
        format!("{}{}", self.public_url, self.this_page(false))
    }

    /// This page in the other language, relative (a tracking page keeps
    /// its token: the reader is switching their own page).
    pub fn switch_language(&self) -> String {
        with_lang(&self.this_page(true), self.other_lang())
    }

    pub fn other_lang(&self) -> Lang {
        match self.lang {
            Lang::ZhCn => Lang::En,
            Lang::En => Lang::ZhCn,
        }
    }

    /// A day on the registry's calendar.
    pub fn day(&self, at: DateTime<Utc>) -> String {
        at.with_timezone(&self.zone).format("%Y-%m-%d").to_string()
    }

    pub fn date(&self, day: NaiveDate) -> String {
        day.format("%Y-%m-%d").to_string()
    }

    /// A moment on the registry's clock, to the minute.
    pub fn time(&self, at: DateTime<Utc>) -> String {
        at.with_timezone(&self.zone).format("%Y-%m-%d %H:%M").to_string()
    }

    /// Whole days from `now` until `end` on the registry's calendar (0 on
    /// the last day).
    pub fn days_until(&self, now: DateTime<Utc>, end: DateTime<Utc>) -> i64 {
        let (now, end) = (now.with_timezone(&self.zone).date_naive(), end.with_timezone(&self.zone).date_naive());
        (end - now).num_days().max(0)
    }

    /// This page's address without `lang`; with its tracking token only
    /// for links the reader follows (never for published alternates).
    fn this_page(&self, with_token: bool) -> String {
        let pairs: Vec<(&str, &str)> = self.query.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
        let mut query = form_urlencoded::Serializer::new(String::new());
        query.extend_pairs(pairs.iter().filter(|(name, _)| with_token || *name != "token"));
        let query = query.finish();
        if query.is_empty() { self.path.clone() } else { format!("{}?{query}", self.path) }
    }
}

/// What a path parameter may hold unescaped: RFC 3986's unreserved
/// characters. A slash is escaped, so no parameter makes another path.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// The path of the route the request matched, its parameters escaped: the
/// page's own links are built from it, never from the raw path, which a
/// stranger writes (`//evil.example/login` would make a link leave the
/// registry). An address no route matched is the home page's.
async fn route_path(parts: &mut Parts) -> String {
    let Some(route) = parts.extensions.get::<MatchedPath>().map(|matched| matched.as_str().to_owned()) else {
        return "/".to_owned();
    };
    let Ok(params) = RawPathParams::from_request_parts(parts, &()).await else { return route };
    params.iter().fold(route, |path, (name, value)| {
        let escaped = utf8_percent_encode(value, SEGMENT).to_string();
        path.replace(&format!("{{{name}}}"), &escaped).replace(&format!("{{*{name}}}"), &escaped)
    })
}

fn with_lang(path: &str, lang: Lang) -> String {
    let separator = if path.contains('?') { '&' } else { '?' };
    format!("{path}{separator}lang={}", lang.tag())
}

/// A page as HTML, with the status given.
pub fn html(status: StatusCode, page: &impl Template) -> Response {
    match page.render() {
        Ok(body) => (status, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response(),
        Err(error) => {
            tracing::error!(%error, "a page could not be rendered");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// A page unlocked by a token in its address (a tracking link, an
/// unsubscribe link, an objection just filed): no cache keeps it.
pub fn no_store(mut response: Response) -> Response {
    response.headers_mut().insert(header::CACHE_CONTROL, axum::http::HeaderValue::from_static("no-store"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(lang: Lang, explicit: bool) -> Place {
        Place {
            lang,
            explicit,
            registry_name: "R".into(),
            public_url: "https://r.example".into(),
            path: "/announcements".into(),
            query: vec![("q".into(), "物流".into()), ("token".into(), "secret".into())],
            zone: chrono_tz::Asia::Shanghai,
            noindex: false,
        }
    }

    #[test]
    fn links_carry_a_chosen_language_and_alternates_drop_tokens() {
        assert_eq!(ctx(Lang::ZhCn, false).link("/verify"), "/verify");
        assert_eq!(ctx(Lang::ZhCn, true).link("/verify"), "/verify?lang=zh-CN");
        assert_eq!(ctx(Lang::En, false).link("/verify?number=1"), "/verify?number=1&lang=en");
        let en = ctx(Lang::En, true);
        assert_eq!(en.alternate(Lang::ZhCn), "https://r.example/announcements?q=%E7%89%A9%E6%B5%81&lang=zh-CN");
        assert_eq!(en.switch_language(), "/announcements?q=%E7%89%A9%E6%B5%81&token=secret&lang=zh-CN");
        assert_eq!(en.link_with("/certificates", &[("q", "a b"), ("status", "")]), "/certificates?q=a+b&lang=en");
    }
}
