//! What each notification says, in each language: the one place to change
//! the wording of a mail. The plain-text and HTML bodies are laid out by
//! `templates/mail/`.

use serde::{Deserialize, Serialize};

use super::catalogue::EventKind;
use crate::domain::Lang;

/// The facts a notification carries, kept in the outbox and worded when
/// it is delivered. Thin: names, numbers, dates and links, never material
/// contents or another person's contact.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Facts {
    /// Who it is for: an organization's users, an objector, or staff.
    pub audience: Audience,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate_number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// A date or time on the registry's calendar, already formatted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due: Option<String>,
    /// `upheld`, `dismissed`, `approved`, `rejected`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<String>,
    /// Where to read more or act (absolute).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    /// A watched certificate's change: the ledger entry's type and index,
    /// the certificate's status since, and the checkpoint it is in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entry_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ledger_index: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tree_size: Option<u64>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Audience {
    #[default]
    Organization,
    Objector,
    Staff,
}

/// A notification in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Worded {
    pub subject: String,
    pub lines: Vec<String>,
    pub link_label: String,
}

pub fn word(kind: EventKind, lang: Lang, facts: &Facts) -> Worded {
    let product = facts.product_name.as_deref().unwrap_or_default();
    let reason = facts.reason.as_deref().unwrap_or_default();
    let due = facts.due.as_deref().unwrap_or_default();
    let number = facts.certificate_number.as_deref().unwrap_or_default();
    let org = facts.organization_name.as_deref().unwrap_or_default();
    let upheld = facts.outcome.as_deref() == Some("upheld");
    let approved = facts.outcome.as_deref() == Some("approved");
    let outcome = facts.outcome.as_deref().unwrap_or_default();
    use Audience::*;
    use EventKind::*;
    let (subject, lines, link_label): (String, Vec<String>, &str) = match lang {
        Lang::ZhCn => match (kind, facts.audience) {
            (ApplicationSubmitted, _) => (format!("申请已提交：{product}"), vec![format!("“{product}”的登记申请已提交，等待审查。")], "查看申请"),
            (ApplicationSupplementRequested, _) => (
                format!("请补正材料：{product}"),
                vec![format!("审查员要求“{product}”补正材料。"), format!("理由：{reason}"), format!("请在 {due} 前补正并重新提交，逾期视为撤回。")],
                "查看申请",
            ),
            (ApplicationApproved, _) => (format!("审查通过，进入公示：{product}"), vec![format!("“{product}”已通过审查，公示至 {due}。")], "查看公示"),
            (ApplicationRejected, _) => (format!("登记未予通过：{product}"), vec![format!("“{product}”的登记申请未予通过。"), format!("理由：{reason}")], "查看申请"),
            (ApplicationRegistered, _) => (
                format!("已颁发登记证书：{product}"),
                vec![format!("“{product}”已登记，证书编号 {number}，有效期至 {due}。")],
                "查看证书",
            ),
            (ObjectionFiled, Objector) => (
                format!("异议已收到：{product}"),
                vec![
                    format!("您对“{product}”的异议已收到。"),
                    "下面的跟踪链接可查看处理进展、补充证据或撤回异议。登记机构只保存链接的摘要，这是唯一一次发送该链接，请妥善保存。".into(),
                ],
                "跟踪异议",
            ),
            (ObjectionFiled, Staff) => (format!("您审查的申请收到异议：{product}"), vec![format!("“{product}”收到一项异议，请在 {due} 前作出决定。")], "处理异议"),
            (ObjectionFiled, Organization) => (
                format!("公示中的申请收到异议：{product}"),
                vec![format!("有人对“{product}”提出了异议。您可以在申请页面查看并答复。")],
                "查看并答复",
            ),
            (ObjectionDecided, Objector) => (
                format!("异议已有决定：{product}"),
                vec![format!("您对“{product}”的异议已有处理决定，请通过您保存的跟踪链接查看。")],
                "",
            ),
            (ObjectionDecided, _) => (
                format!("异议处理决定：{product}"),
                vec![format!("“{product}”的异议{}。", if upheld { "成立" } else { "不成立" }), format!("理由：{reason}")],
                "查看申请",
            ),
            (ObjectionWithdrawn, _) => (format!("异议已撤回：{product}"), vec![format!("对“{product}”的一项异议已被异议人撤回。")], "查看申请"),
            (ObjectionOverdue, _) => (format!("异议即将逾期：{product}"), vec![format!("“{product}”的异议应在 {due} 前作出决定。")], "处理异议"),
            (ActDecided, _) => (
                format!("登记行为{}：{number}", if approved { "已登记" } else { "未予登记" }),
                vec![format!("证书 {number} 的登记行为{}。", if approved { "已登记" } else { "未予登记" }), format!("{reason}")],
                "查看证书",
            ),
            (ConfirmationRequested, _) => {
                let what = match outcome {
                    "pledge" => "向你方出质",
                    "pledge_release" => "解除向你方设定的质押",
                    "license" => "许可你方使用",
                    "transfer" => "将其转让给你方",
                    "consent.pledge" => "再次出质，该质押顺位在你方质权之后，须经你方同意",
                    "consent.transfer" => "转让该证书（质权随之转移），须经你方同意",
                    "consent.cancellation" => "注销该证书，须经你方同意",
                    _ => "独占许可他人使用，须经你方同意",
                };
                (
                    format!("请确认登记行为：{number}"),
                    vec![format!("证书 {number}（{product}）的持有人申请{what}。"), format!("请在 {due} 前确认或拒绝；逾期未答复的，申请失效。")],
                    "去确认",
                )
            }
            (CertificateExpiring, _) => (format!("证书即将到期：{number}"), vec![format!("证书 {number}（{product}）将于 {due} 到期，可在到期前申请续展。")], "查看证书"),
            (CertificateRevoked, _) => (format!("证书已撤销：{number}"), vec![format!("证书 {number}（{product}）已被撤销。"), format!("理由：{reason}")], "查看证书"),
            (MeasureRecorded, _) => (
                format!("证书被采取保全措施：{number}"),
                vec![format!("证书 {number}（{product}）已被采取保全措施：{reason}。"), "措施解除前，该证书不得转让、质押、许可或注销。".into()],
                "查看证书",
            ),
            (MeasureLifted, _) => (format!("保全措施已解除：{number}"), vec![format!("证书 {number}（{product}）的保全措施已解除：{reason}。")], "查看证书"),
            (RelyingPartyVerified, _) => (
                format!("已核验为依赖方：{org}"),
                vec![format!("登记机构已核验“{org}”为依赖方：使用本机构的 API 密钥查询签名状态，额度更高。")],
                "查看",
            ),
            (RelyingPartyRefused, _) => (
                format!("依赖方申请未通过：{org}"),
                vec![format!("“{org}”成为依赖方的申请未通过。"), format!("理由：{reason}"), "可补充说明后重新申请。".into()],
                "查看",
            ),
            (OrganizationVerified, _) => (format!("主体资格已核验：{org}"), vec![format!("登记机构已核验“{org}”的营业执照，现在可以提交登记申请。")], "查看"),
            (OrganizationRefused, _) => (
                format!("营业执照未通过核验：{org}"),
                vec![format!("“{org}”的营业执照未通过核验。"), format!("理由：{reason}"), "请上传清晰有效的营业执照后重新提交核验。".into()],
                "查看",
            ),
            (WatchCertificateChanged, _) => (
                format!("关注的证书有新记录：{number}"),
                vec![
                    format!("证书 {number} 在账本第 {} 条记录了 {}。", facts.ledger_index.unwrap_or_default(), facts.entry_type.as_deref().unwrap_or_default()),
                    format!("截至检查点（树大小 {}），证书状态为 {}。", facts.tree_size.unwrap_or_default(), facts.status.as_deref().unwrap_or_default()),
                ],
                "查看签名状态",
            ),
            (WatchMatched, _) => (
                format!("新公示与您的关注匹配：{product}"),
                vec![format!("新公示的“{product}”与您的关注（{}）匹配。", facts.outcome.as_deref().unwrap_or_default()), format!("如认为登记损害您的权益，可在 {due} 前提出异议。")],
                "查看公示",
            ),
            (PasswordChanged, _) => ("您的密码已修改".into(), vec!["您的账户密码刚刚被修改。如果不是您本人操作，请立即联系登记机构。".into()], ""),
            (PasswordReset, _) => ("您的密码已重置".into(), vec!["您的账户密码已通过重置链接重新设置。如果不是您本人操作，请立即联系登记机构。".into()], ""),
            (PasswordResetLink, _) => (
                "重置您的密码".into(),
                vec![
                    format!("有人为使用这个电子邮件地址的登记机构账户申请了重置密码。请在 {due} 前打开下面的链接设置新密码；链接只能使用一次，之前发出的重置链接随即失效。"),
                    "如果不是您本人申请，请忽略本邮件：您的密码不会改变。".into(),
                ],
                "设置新密码",
            ),
            (ApiKeyCreated, _) => ("已创建新的 API 密钥".into(), vec!["您的机构刚刚创建了一个新的 API 密钥。如果不是您的机构所为，请立即撤销它。".into()], ""),
            (EmailConfirmation, _) => (
                "请确认您的电子邮件地址".into(),
                vec![
                    format!("登记机构的一个账户填写了这个电子邮件地址。请在 {due} 前打开下面的链接并点击“确认”，以便接收安全通知、关注提醒和机构的通知。"),
                    "如果这不是您的账户，请忽略本邮件：不确认，这个地址就不会再收到该账户的邮件。".into(),
                ],
                "确认地址",
            ),
        },
        Lang::En => match (kind, facts.audience) {
            (ApplicationSubmitted, _) => (format!("Application submitted: {product}"), vec![format!("The application for \"{product}\" was submitted and awaits review.")], "See the application"),
            (ApplicationSupplementRequested, _) => (
                format!("Supplementary materials requested: {product}"),
                vec![
                    format!("The reviewer asks for supplementary materials for \"{product}\"."),
                    format!("Reason: {reason}"),
                    format!("Supplement and resubmit before {due}; after that the application counts as withdrawn."),
                ],
                "See the application",
            ),
            (ApplicationApproved, _) => (format!("Approved and announced: {product}"), vec![format!("\"{product}\" passed review and is announced until {due}.")], "See the announcement"),
            (ApplicationRejected, _) => (format!("Registration refused: {product}"), vec![format!("The application for \"{product}\" was refused."), format!("Reason: {reason}")], "See the application"),
            (ApplicationRegistered, _) => (
                format!("Certificate issued: {product}"),
                vec![format!("\"{product}\" is registered: certificate {number}, valid until {due}.")],
                "See the certificate",
            ),
            (ObjectionFiled, Objector) => (
                format!("Objection received: {product}"),
                vec![
                    format!("Your objection to \"{product}\" was received."),
                    "The tracking link below shows where it stands and lets you add evidence or withdraw it. The registry keeps only a digest of it: this is the only time it is sent, so keep it.".into(),
                ],
                "Follow the objection",
            ),
            (ObjectionFiled, Staff) => (format!("Objection on an application you reviewed: {product}"), vec![format!("An objection was filed against \"{product}\"; decide it before {due}.")], "Decide"),
            (ObjectionFiled, Organization) => (
                format!("Objection to your announced application: {product}"),
                vec![format!("Someone objected to \"{product}\". You can read it and reply on the application's page.")],
                "Read and reply",
            ),
            (ObjectionDecided, Objector) => (
                format!("Your objection was decided: {product}"),
                vec![format!("Your objection to \"{product}\" was decided; open the tracking link you kept to read the decision.")],
                "",
            ),
            (ObjectionDecided, _) => (
                format!("Objection decided: {product}"),
                vec![format!("The objection to \"{product}\" was {}.", if upheld { "upheld" } else { "dismissed" }), format!("Reason: {reason}")],
                "See the application",
            ),
            (ObjectionWithdrawn, _) => (format!("Objection withdrawn: {product}"), vec![format!("An objection to \"{product}\" was withdrawn by the objector.")], "See the application"),
            (ObjectionOverdue, _) => (format!("Objection decision due: {product}"), vec![format!("The objection to \"{product}\" is to be decided before {due}.")], "Decide"),
            (ActDecided, _) => (
                format!("Act {}: {number}", if approved { "recorded" } else { "refused" }),
                vec![format!("An act on certificate {number} was {}.", if approved { "recorded" } else { "refused" }), reason.to_owned()],
                "See the certificate",
            ),
            (ConfirmationRequested, _) => {
                let what = match outcome {
                    "pledge" => "its pledge to you",
                    "pledge_release" => "the release of its pledge to you",
                    "license" => "its licence to you",
                    "transfer" => "its transfer to you",
                    "consent.pledge" => "a further pledge, ranking after yours, which needs your consent",
                    "consent.transfer" => "its transfer (your pledge moves with it), which needs your consent",
                    "consent.cancellation" => "its cancellation, which needs your consent",
                    _ => "an exclusive licence, which needs your consent",
                };
                (
                    format!("Your confirmation is asked: {number}"),
                    vec![format!("The holder of certificate {number} ({product}) filed {what}."), format!("Confirm or decline it before {due}; unanswered, the filing lapses.")],
                    "Answer",
                )
            }
            (CertificateExpiring, _) => (format!("Certificate expiring: {number}"), vec![format!("Certificate {number} ({product}) expires on {due}; renew it before then.")], "See the certificate"),
            (CertificateRevoked, _) => (format!("Certificate revoked: {number}"), vec![format!("Certificate {number} ({product}) was revoked."), format!("Reason: {reason}")], "See the certificate"),
            (MeasureRecorded, _) => (
                format!("Certificate under preservation: {number}"),
                vec![format!("A preservation measure now holds certificate {number} ({product}): {reason}."), "Until it is lifted, the certificate cannot be transferred, pledged, licensed or cancelled.".into()],
                "See the certificate",
            ),
            (MeasureLifted, _) => (format!("Preservation lifted: {number}"), vec![format!("The preservation measure on certificate {number} ({product}) was lifted: {reason}.")], "See the certificate"),
            (RelyingPartyVerified, _) => (
                format!("Verified as a relying party: {org}"),
                vec![format!("The registry verified \"{org}\" as a relying party: status queries with its API keys now have the higher allowance.")],
                "Open",
            ),
            (RelyingPartyRefused, _) => (
                format!("Relying-party request not accepted: {org}"),
                vec![format!("The request of \"{org}\" to be a relying party was not accepted."), format!("Reason: {reason}"), "You may ask again with more detail.".into()],
                "Open",
            ),
            (OrganizationVerified, _) => (format!("Organization verified: {org}"), vec![format!("The registry checked the business licence of \"{org}\"; you may now submit applications.")], "Open"),
            (OrganizationRefused, _) => (
                format!("Business licence not accepted: {org}"),
                vec![format!("The business licence of \"{org}\" was not accepted."), format!("Reason: {reason}"), "Upload a clear, valid licence to ask again.".into()],
                "Open",
            ),
            (WatchCertificateChanged, _) => (
                format!("A watched certificate changed: {number}"),
                vec![
                    format!("Certificate {number}: ledger entry {} records a {}.", facts.ledger_index.unwrap_or_default(), facts.entry_type.as_deref().unwrap_or_default()),
                    format!("At the checkpoint of tree size {}, its status is {}.", facts.tree_size.unwrap_or_default(), facts.status.as_deref().unwrap_or_default()),
                ],
                "See the signed status",
            ),
            (WatchMatched, _) => (
                format!("A new announcement matches your watch: {product}"),
                vec![format!("The newly announced \"{product}\" matches your watch ({}).", facts.outcome.as_deref().unwrap_or_default()), format!("If the registration harms your rights, object before {due}.")],
                "See the announcement",
            ),
            (PasswordChanged, _) => ("Your password was changed".into(), vec!["Your account's password was just changed. If it was not you, contact the registry at once.".into()], ""),
            (PasswordReset, _) => ("Your password was reset".into(), vec!["Your account's password was set again through a reset link. If it was not you, contact the registry at once.".into()], ""),
            (PasswordResetLink, _) => (
                "Reset your password".into(),
                vec![
                    format!("Someone asked to reset the password of the registry account with this e-mail address. Open the link below before {due} to set a new one; it works once, and earlier reset links no longer work."),
                    "If it was not you, ignore this mail: your password stays as it is.".into(),
                ],
                "Set a new password",
            ),
            (ApiKeyCreated, _) => ("A new API key was created".into(), vec!["Your organization just created a new API key. If it was not you, revoke it at once.".into()], ""),
            (EmailConfirmation, _) => (
                "Confirm your e-mail address".into(),
                vec![
                    format!("An account at the registry gives this e-mail address. Open the link below before {due} and press Confirm, so that security notices, watches and your organization's notices reach you."),
                    "If it is not your account, ignore this mail: unconfirmed, this address receives nothing more for it.".into(),
                ],
                "Confirm the address",
            ),
        },
    };
    Worded {
        subject,
        lines: lines.into_iter().filter(|line| !line.trim().is_empty()).collect(),
        link_label: link_label.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_is_worded_in_each_language_for_each_audience() {
        let facts = Facts {
            product_name: Some("交通流量数据集".into()),
            certificate_number: Some("20261131000000001".into()),
            organization_name: Some("上海数据科技有限公司".into()),
            reason: Some("材料不全".into()),
            due: Some("2026-12-01".into()),
            outcome: Some("approved".into()),
            link: Some("https://registry.example/x".into()),
            ..Facts::default()
        };
        for kind in EventKind::ALL {
            for audience in [Audience::Organization, Audience::Objector, Audience::Staff] {
                let facts = Facts { audience, ..facts.clone() };
                let zh = word(kind, Lang::ZhCn, &facts);
                let en = word(kind, Lang::En, &facts);
                assert!(!zh.subject.is_empty() && !zh.lines.is_empty(), "{kind:?}");
                assert!(!en.subject.is_empty() && !en.lines.is_empty(), "{kind:?}");
                let chinese = |text: &str| text.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c));
                let english_words = en.lines.join(" ").replace(
                    [
                        '交', '通', '流', '量', '数', '据', '集', '材', '料', '不', '全', '上', '海', '科', '技', '有',
                        '限', '公', '司',
                    ],
                    "",
                );
                assert!(chinese(&zh.lines.join("")), "{kind:?} in Chinese");
                assert!(!chinese(&english_words), "{kind:?} in English: {english_words}");
            }
        }
    }
}
