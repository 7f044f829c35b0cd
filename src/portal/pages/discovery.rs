//! `/robots.txt` and the sitemap: the register is meant to be found;
//! tracking pages never are.
//!
//! The sitemap is an index (`/sitemap.xml`, which `robots.txt` names) of
//! parts: `/sitemaps/pages.xml` for the fixed pages, and
//! `/sitemaps/certificates-N.xml` for the certificates in number order, as
//! many per part as fit [`LIMITS`] when every address is as long as a
//! certificate's can be. New certificates fill the last part, so earlier
//! parts do not change, and each part is one small read the public cache
//! keeps, however large the register grows.

use askama::Template;
use axum::{
    extract::{Path, State},
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};

use crate::{
    portal::page::{Ctx, failure, not_found},
    services::certificates,
    state::AppState,
};

/// What one sitemap file may hold.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub urls: usize,
    pub bytes: usize,
}

/// The sitemap protocol allows 50,000 addresses per file; 1 MiB (where it
/// allows 50 MB) keeps each part small enough for the public cache.
pub const LIMITS: Limits = Limits { urls: 50_000, bytes: 1 << 20 };

/// The pages listed besides certificate records.
const FIXED: [&str; 6] = ["/", "/announcements", "/announcements/past", "/certificates", "/verify", "/ledger"];

/// A certificate address at its longest, to size parts by: numbers are 17
/// digits; three more for safety.
const LONGEST_NUMBER: &str = "00000000000000000000";

pub async fn robots(State(state): State<AppState>) -> Response {
    let base = state.config.registry.public_url.trim_end_matches('/').to_owned();
    let body = format!(
        "User-agent: *\nDisallow: /objections/\nDisallow: /api/\nDisallow: /verify?\nDisallow: /confirm-email\nDisallow: /confirm/\nSitemap: {base}/sitemap.xml\n"
    );
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], body).into_response()
}

#[derive(Template)]
#[template(path = "portal/sitemap_index.xml")]
struct SitemapIndex {
    parts: Vec<String>,
}

#[derive(Template)]
#[template(path = "portal/sitemap.xml")]
struct Sitemap {
    urls: Vec<(String, String)>,
}

/// `GET /sitemap.xml`: the index of the parts.
pub async fn sitemap(State(state): State<AppState>, ctx: Ctx) -> Response {
    let count = match certificates::count(&state).await {
        Ok(count) => usize::try_from(count).unwrap_or_default(),
        Err(error) => return failure(&ctx, error),
    };
    let base = &ctx.public_url;
    let parts = part_count(count, per_part(base, LIMITS));
    let mut locations = vec![format!("{base}/sitemaps/pages.xml")];
    locations.extend((1..=parts).map(|n| format!("{base}/sitemaps/certificates-{n}.xml")));
    locations.truncate(LIMITS.urls);
    xml(SitemapIndex { parts: locations }.render())
}

/// `GET /sitemaps/{part}`: `pages.xml`, or `certificates-N.xml` (N from 1).
pub async fn sitemap_part(State(state): State<AppState>, ctx: Ctx, Path(part): Path<String>) -> Response {
    let base = ctx.public_url.clone();
    if part == "pages.xml" {
        let urls = FIXED.iter().map(|path| (format!("{base}{path}"), String::new())).collect();
        return xml(Sitemap { urls }.render());
    }
    let Some(n) = part.strip_prefix("certificates-").and_then(|rest| rest.strip_suffix(".xml")) else {
        return not_found(&ctx);
    };
    // One address per part: no sign, no leading zeros.
    let Some(n) = n.parse::<usize>().ok().filter(|parsed| *parsed >= 1 && parsed.to_string() == n) else {
        return not_found(&ctx);
    };
    let per_part = per_part(&base, LIMITS);
    let (Ok(offset), Ok(limit)) = (i64::try_from((n - 1).saturating_mul(per_part)), i64::try_from(per_part)) else {
        return not_found(&ctx);
    };
    let numbers = match certificates::numbers(&state, offset, limit).await {
        Ok(numbers) if numbers.is_empty() && n > 1 => return not_found(&ctx),
        Ok(numbers) => numbers,
        Err(error) => return failure(&ctx, error),
    };
    let urls = numbers
        .into_iter()
        .map(|(number, changed)| (format!("{base}/certificates/{number}"), ctx.day(changed)))
        .collect();
    xml(Sitemap { urls }.render())
}

fn xml(rendered: askama::Result<String>) -> Response {
    match rendered {
        Ok(body) => ([(header::CONTENT_TYPE, "application/xml; charset=utf-8")], body).into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

/// Certificates per part: as many as `limits` allow when every address is
/// as long as a certificate's under `base` can be.
fn per_part(base: &str, limits: Limits) -> usize {
    let size = |urls: Vec<(String, String)>| Sitemap { urls }.render().map_or(usize::MAX, |text| text.len());
    let empty = size(Vec::new());
    let one = size(vec![(format!("{base}/certificates/{LONGEST_NUMBER}"), "2026-12-31".to_owned())]);
    let entry = one.saturating_sub(empty).max(1);
    (limits.bytes.saturating_sub(empty) / entry).clamp(1, limits.urls)
}

/// Parts for `count` certificates, `per_part` in each (at least one part,
/// empty while the register is).
fn part_count(count: usize, per_part: usize) -> usize {
    count.div_ceil(per_part.max(1)).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_part_keeps_within_the_limits() {
        // Five addresses or 800 bytes a file stand in for the protocol's
        // 50,000 and the cache's 1 MiB.
        let base = "https://registry.example/一个&registry";
        for limits in [Limits { urls: 5, bytes: 100_000 }, Limits { urls: 1000, bytes: 800 }] {
            let per_part = per_part(base, limits);
            assert!((1..=limits.urls).contains(&per_part), "{per_part}");
            let numbers: Vec<String> = (0..23).map(|i| format!("202611310000{i:05}")).collect();
            let parts: Vec<_> = numbers.chunks(per_part).collect();
            assert_eq!(parts.len(), part_count(numbers.len(), per_part));
            for part in parts {
                let urls = part.iter().map(|n| (format!("{base}/certificates/{n}"), "2026-12-06".to_owned())).collect();
                let text = Sitemap { urls }.render().expect("rendered");
                assert!(text.len() <= limits.bytes, "{} bytes", text.len());
                assert!(text.matches("<url>").count() <= limits.urls);
            }
        }
        assert_eq!(part_count(0, 10), 1);
        assert_eq!(part_count(10, 10), 1);
        assert_eq!(part_count(11, 10), 2);
    }

    #[test]
    fn the_real_limits_give_parts_of_thousands() {
        let per_part = per_part("https://registry.example", LIMITS);
        assert!((8_000..=LIMITS.urls).contains(&per_part), "{per_part}");
    }
}
