//! pgbench scripts that run what the service runs for each path: its own
//! statements (copied from `src/db/`, with the request's parameters), one
//! per round trip the service makes, in the same order.
//! `cargo bench --bench http -- --statements` prints the statements the
//! service itself runs for one request of each path, to check these against.

use super::text::{self, WORDS};

/// The columns of an announcement (`db::announcements::AnnouncementRow`).
const ANNOUNCEMENT: &str = "a.id, a.registration_number, a.product_name, a.category, o.name AS holder_name, \
     o.verification = 'verified' AS holder_verified, a.abstract, a.announcement_starts_at, \
     a.announcement_ends_at, a.state";

/// `db::materials::of_applications` for a page.
fn materials(ids: &[String]) -> String {
    format!(
        "SELECT m.application_id, m.org_id, m.kind, m.filename, m.media_type, m.size, m.sha256, m.blob_id, \
         m.uploaded_at FROM UNNEST('{{{}}}'::uuid[]) AS t(id) \
         CROSS JOIN LATERAL (SELECT * FROM materials WHERE application_id = t.id LIMIT 6) AS m \
         ORDER BY m.application_id, m.kind;\n",
        ids.join(",")
    )
}

/// The first page of current announcements (`db::announcements::newest`),
/// then its materials.
pub fn list(newest: &[String]) -> String {
    format!(
        "SELECT {ANNOUNCEMENT}, NULL::text AS certificate_number \
         FROM applications a JOIN organizations o ON o.id = a.org_id WHERE a.state = 'in_announcement' \
         ORDER BY a.announcement_starts_at DESC, a.id DESC LIMIT 21;\n{}",
        materials(newest)
    )
}

/// One search (`db::announcements::search`): the newest hundred read first,
/// the index only when they do not fill the page; then the page's materials.
fn search(terms: &str) -> String {
    let holds =
        format!("NOT EXISTS (SELECT FROM unnest({terms}) AS t(term) WHERE strpos(s.document, lower(term)) = 0)");
    format!(
        "\\set found 0\n\
         SELECT {ANNOUNCEMENT}, NULL::text AS certificate_number, count(*) OVER () AS found \
         FROM (SELECT * FROM applications WHERE state = 'in_announcement' \
               ORDER BY announcement_starts_at DESC, id DESC LIMIT 100) AS a \
         JOIN organizations o ON o.id = a.org_id \
         WHERE EXISTS (SELECT FROM announcement_search s WHERE s.application_id = a.id AND {holds}) \
         ORDER BY a.announcement_starts_at DESC, a.id DESC LIMIT 21 \\aset\n\
         \\if :found < 21\n\
         SELECT {ANNOUNCEMENT}, NULL::text AS certificate_number \
         FROM announcement_search s JOIN applications a ON a.id = s.application_id \
         JOIN organizations o ON o.id = a.org_id \
         WHERE search_grams(s.document) @> search_query_grams({terms}) AND {holds} \
           AND a.state = 'in_announcement' \
         ORDER BY a.announcement_starts_at DESC, a.id DESC LIMIT 21;\n\
         \\endif\n"
    )
}

fn words() -> String {
    let quoted: Vec<String> = WORDS.iter().map(|word| format!("'{word}'")).collect();
    format!("(ARRAY[{}])", quoted.join(","))
}

/// Searches shaped as `text::cold_queries`: three random words, or a word
/// and a product's number.
pub fn cold_search(products: usize, newest: &[String]) -> String {
    let w = words();
    let n = WORDS.len();
    format!(
        "\\set shape random(0, 1)\n\\set a random(1, {n})\n\\set b random(1, {n})\n\\set c random(1, {n})\n\
         \\set p random(0, {})\n\
         \\if :shape = 0\n{}\\else\n{}\\endif\n{}",
        products.max(1) - 1,
        search(&format!("ARRAY[{w}[:a], {w}[:b], {w}[:c]]")),
        search(&format!("ARRAY[{w}[:a], :p::text]")),
        materials(newest)
    )
}

/// Searches shaped as `text::warm_queries`: one of the first sixteen words.
pub fn warm_search(newest: &[String]) -> String {
    format!("\\set a random(1, 16)\n{}{}", search(&format!("ARRAY[{}[:a]]", words())), materials(newest))
}

/// One announcement (`db::announcements::find`), then its materials.
pub fn announcement(id: &str) -> String {
    format!(
        "SELECT {ANNOUNCEMENT}, c.certificate_number \
         FROM applications a JOIN organizations o ON o.id = a.org_id \
         LEFT JOIN certificates c ON c.application_id = a.id \
         WHERE a.id = '{id}' AND a.announcement_starts_at IS NOT NULL;\n{}",
        materials(&[id.to_owned()])
    )
}

/// A certificate's public record (`services::certificates::public`): the
/// certificate and holder by number, the certificate by id, current
/// licences, unreleased pledges, and its acts.
pub fn certificate_record(number: &str) -> String {
    format!(
        "SELECT c.id, o.kind AS holder_kind, o.name AS holder_name, o.credit_code AS holder_credit_code, \
         o.verification = 'verified' AS holder_verified \
         FROM certificates c JOIN organizations o ON o.id = c.org_id WHERE c.certificate_number = '{number}' \\gset\n\
         SELECT id, org_id, application_id, certificate_number, registration_number, product_name, category, \
         abstract, status, valid_from, valid_until, document, signature, ledger, issued_at, status_changed_at, \
         data_sources, validity_bound FROM certificates WHERE id = :id;\n\
         SELECT act_id, certificate_id, org_id, licensee_name, licensee_credit_code, exclusive, scope, \
         lower(term), upper(term) - 1 FROM licenses WHERE certificate_id = :id AND upper(term) > current_date \
         ORDER BY lower(term), act_id;\n\
         SELECT act_id, certificate_id, org_id, pledgee_name, pledgee_credit_code, amount, currency, lower(term), \
         upper(term) - 1, released_at, rank FROM pledges WHERE certificate_id = :id AND released_at IS NULL \
         ORDER BY rank, act_id;\n\
         SELECT id, certificate_id, org_id, holder_org_id, kind, state, details, openings, filed_by, filed_at, \
         decided_by, decided_at, decision_reason, ledger_index FROM certificate_acts \
         WHERE certificate_id = :id ORDER BY id;\n"
    )
}

/// Creating an application (`services::registration::applications::create`): the
/// token's account check, then in one transaction the draft quota, the
/// insert (returning the row), and the history row.
pub fn create_application(org_id: &str, user_id: &str, quota: u32) -> String {
    let abstract_text = text::abstract_of(1);
    format!(
        "\\set u random(1, 2000000000)\n\
         SELECT EXISTS (SELECT 1 FROM users WHERE id = '{user_id}' AND disabled_at IS NULL);\n\
         BEGIN;\n\
         SELECT count(*) FROM (SELECT 1 FROM applications WHERE org_id = '{org_id}' AND state = 'draft' \
         LIMIT {quota}) AS drafts;\n\
         INSERT INTO applications (id, org_id, state, version, product_name, category, abstract, data_sources, \
         data_format, data_scale, update_frequency, created_at, updated_at, normalized_product_name) \
         VALUES (gen_random_uuid(), '{org_id}', 'draft', 1, '基准创建数据集 ' || :u::text, 'data_collection', \
         '{abstract_text}', '[{{\"kind\":\"self_collected\",\"description\":\"自有物流系统运单数据\"}}]', 'CSV', \
         '1.2 亿条', '每日', now(), now(), '基准创建数据集' || :u::text) RETURNING * \\gset\n\
         INSERT INTO application_events (id, application_id, org_id, at, actor_kind, actor_id, action, from_state, \
         to_state, note, refusal_grounds) VALUES (gen_random_uuid(), :id, '{org_id}', now(), 'applicant', \
         '{user_id}', 'create', 'draft', 'draft', NULL, NULL);\n\
         COMMIT;\n"
    )
}

/// One round of a bulk status answer: its distinct numbers, and the
/// subtrees its proofs need (computed from their latest leaves, as the
/// service computes them between its second and third statements).
pub struct StatusRound {
    pub numbers: Vec<String>,
    pub nodes: Vec<(u32, u64)>,
}

/// A bulk status answer (`services::transparency::status`): the status
/// checkpoint (`db::status::checkpoint`, no witnesses configured) and its
/// cosignatures (`db::tlog::cosignatures`), then per round of a hundred
/// numbers the certificates' leaves below its size
/// (`db::status::entries_of`), those with a change still to come
/// (`db::status::pending_among`) and the proofs' subtrees
/// (`db::ledger::nodes`). Not the allowance's count (`db::throttle::hit_by`):
/// it is no part of the answer.
pub fn bulk_status(rounds: &[StatusRound]) -> String {
    let mut script = String::from(
        "WITH reached AS ( \
           SELECT CASE WHEN cardinality('{}'::text[]) = 0 THEN NULL \
                       ELSE (SELECT min(COALESCE(w.tree_size, 0)) FROM UNNEST('{}'::text[]) AS k(vkey) \
                             LEFT JOIN ledger_witnesses w ON w.vkey = k.vkey) END AS size) \
         (SELECT c.tree_size, c.note, 0 AS preference FROM ledger_checkpoints c, reached r \
           WHERE r.size IS NOT NULL AND c.tree_size <= r.size \
             AND (SELECT count(*) FROM ledger_cosignatures s WHERE s.tree_size = c.tree_size) \
                 >= cardinality('{}'::text[]) \
           ORDER BY c.tree_size DESC LIMIT 1) \
         UNION ALL \
         (SELECT tree_size, note, 1 FROM ledger_checkpoints ORDER BY tree_size DESC LIMIT 1) \
         ORDER BY preference LIMIT 1 \\gset\n\
         SELECT line FROM ledger_cosignatures WHERE tree_size = :tree_size ORDER BY witness;\n",
    );
    for round in rounds {
        let numbers = format!("'{{{}}}'::text[]", round.numbers.join(","));
        let levels: Vec<String> = round.nodes.iter().map(|(level, _)| level.to_string()).collect();
        let indexes: Vec<String> = round.nodes.iter().map(|(_, index)| index.to_string()).collect();
        script.push_str(&format!(
            "SELECT certificate_number, idx, entry FROM ledger_leaves \
             WHERE certificate_number = ANY({numbers}) AND idx < :tree_size ORDER BY certificate_number, idx;\n\
             SELECT certificate_number FROM ledger_leaves WHERE certificate_number = ANY({numbers}) \
             AND idx >= :tree_size \
             UNION SELECT certificate_number FROM ledger_outbox WHERE certificate_number = ANY({numbers});\n\
             SELECT n.level, n.idx, n.hash FROM ledger_nodes n \
             JOIN UNNEST('{{{}}}'::smallint[], '{{{}}}'::bigint[]) AS w(level, idx) \
             ON n.level = w.level AND n.idx = w.idx;\n",
            levels.join(","),
            indexes.join(",")
        ));
    }
    script
}
