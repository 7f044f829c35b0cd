//! 简体中文: the portal's first language.

use super::Messages;
use crate::domain::{IsoDuration, Lang};

pub const ZH_CN: Messages = Messages {
    lang: Lang::ZhCn,
    skip_to_content: "跳到正文",
    nav_label: "主导航",
    nav_home: "首页",
    nav_announcements: "登记公示",
    nav_certificates: "登记证书",
    nav_verify: "证书核验",
    nav_ledger: "存证账本",
    other_language: "English",
    portal_title: "数据知识产权登记",
    footer_note: "登记在线办理、免费。公示期内任何人可提出异议；证书记录于防篡改的存证账本，可离线核验。",
    footer_api: "开放接口",
    footer_feeds: "订阅",

    home_intro,
    home_steps,
    period,
    search_label: "搜索公示中的数据产品",
    search_placeholder: "产品名称、摘要或持有人，如：物流",
    search_button: "搜索",
    count_in_announcement: "公示中",
    count_registered: "有效证书",
    latest_announcements: "最新公示",
    see_all: "查看全部公示",

    announcements_title: "登记公示",
    announcements_intro: "以下申请已通过审查，正在公示。认为登记可能损害您的合法权益的，可在公示期届满前提出异议。",
    past_announcements_title: "往期公示",
    past_announcements_intro: "公示期已届满的申请及其结果。",
    past_announcements_link: "往期公示",
    current_announcements_link: "当前公示",
    category_filter: "类别",
    all_categories: "全部类别",
    filter_button: "筛选",
    no_results: "没有符合条件的记录。",
    next_page: "下一页",
    first_page: "回到第一页",
    product: "数据产品",
    category: "类别",
    holder: "持有人",
    holder_verified: "已核验",
    holder_unverified: "未核验",
    natural_person: "自然人",
    abstract_label: "摘要",
    registration_number: "登记编号",
    window: "公示期",
    window_starts: "公示开始",
    window_ends: "公示截止",
    materials: "登记材料",
    materials_note: "材料内容不公开，仅公示其类型和 SHA-256 摘要，可用于比对您持有的文件。",
    material_kind: "材料类型",
    days_left,
    window_closed: "公示期已结束，不再受理异议。",
    outcome_objection_review: "公示期已结束，登记机构正在处理异议。",
    outcome_registered: "公示期已结束，已颁发登记证书。",
    outcome_refused: "公示期已结束，登记未予通过。",
    outcome_withdrawn: "申请人已撤回申请。",
    see_certificate: "查看登记证书",

    objection_form_title: "提出异议",
    objection_form_intro: "请说明登记与您的关系和异议理由。提交后您将获得一个跟踪链接，用于查看处理进展、补充证据或撤回异议。",
    objector_name: "姓名或单位名称",
    contact_email: "联系邮箱",
    contact_email_note: "邮箱仅登记机构工作人员可见，用于联系您；不公开，也不提供给申请人。您的姓名、利害关系和理由将提供给申请人答复。",
    interest: "利害关系",
    interest_hint: "登记与您的权益有何关系，如：我司为该数据的原始采集方。",
    objection_grounds: "异议理由",
    objection_grounds_hint: "登记为何不应通过，以及可以证明的事实。",
    file_objection: "提交异议",
    form_has_errors: "提交的内容有误，请按提示修改后重新提交。",
    error_required: "请填写此项。",
    error_too_long: too_long,
    error_email: "请填写有效的邮箱地址，如 name@example.com。",
    error_cross_site: "此表单只能从本站页面提交。请刷新页面后重试。",
    error_rate_limited: "提交过于频繁，请稍后再试。",
    error_window_closed: "公示期已结束，不再受理异议。",
    error_unavailable: "系统暂时繁忙，请稍后再试。",
    objection_filed_title: "异议已提交",
    objection_filed_keep: "请立即保存下面的跟踪链接：它只显示这一次，登记机构不保存链接本身，遗失后无法找回。",
    tracking_link: "跟踪链接",

    objection_title: "异议处理进展",
    objection_state: "状态",
    filed_at: "提交时间",
    decision_due: "处理期限",
    holder_replies: "申请人答复",
    no_replies: "申请人尚未答复。",
    decision: "处理决定",
    decided_at: "决定时间",
    decision_grounds: "不予登记的理由",
    evidence: "证据材料",
    no_evidence: "尚未提交证据。",
    evidence_note: "证据不公开，仅申请人和登记机构工作人员可查阅。最多 5 个文件。",
    evidence_file: "选择文件",
    attach_evidence: "上传证据",
    evidence_attached: "证据已上传。",
    withdraw_title: "撤回异议",
    withdraw_note: "撤回后异议不再处理，且无法恢复。",
    withdraw_button: "撤回异议",
    withdrawn_at: "撤回时间",
    error_file: "文件未能上传",

    register_title: "登记证书",
    register_intro: "全部已颁发的数据知识产权登记证书，包括已失效、注销和撤销的记录。",
    status_filter: "状态",
    all_statuses: "全部状态",
    certificate_number: "证书编号",
    status: "状态",
    valid_from: "有效期起",
    valid_until: "有效期至",
    validity: "有效期",
    validity_bounded,
    issued_at: "颁发时间",
    credit_code: "统一社会信用代码",
    licenses: "现行许可",
    no_licenses: "无现行许可。",
    licensee: "被许可方",
    exclusive: "独占许可",
    non_exclusive: "非独占许可",
    term: "期限",
    pledges: "未解除的质押",
    no_pledges: "无未解除的质押。",
    pledgee: "质权人",
    secured_amount: "担保金额",
    history: "登记行为记录",
    no_acts: "尚无登记行为。",
    act: "行为",
    approved_at: "登记时间",
    ledger_index: "账本序号",
    reason: "理由",
    ended,
    ledger_receipt: "存证回执",
    ledger_pending: "颁发记录正在写入存证账本。",
    leaf_index: "叶子序号",
    tree_size: "账本大小",
    root_hash: "根哈希",
    signed_checkpoint: "签名检查点",
    signing_key: "签名密钥",
    verify_this: "核验此证书",
    json_version: "JSON 格式",

    verify_title: "证书核验",
    verify_intro: "核验一份证书是否由本登记机构颁发、是否记录在存证账本中，以及它现在的状态。",
    verify_by_number: "按证书编号核验",
    verify_button: "核验",
    verify_by_file: "上传证书文件核验",
    verify_file_hint: "证书 PDF，或证书 JSON（含签名，持有人接口返回的格式）。文件不会被保存。",
    upload_and_verify: "上传并核验",
    result_title: "核验结果",
    result_valid: "核验通过",
    result_invalid: "核验未通过",
    check_signature_ok: "签名有效：由本登记机构的密钥签发。",
    check_signature_bad: "签名无效：文件不是本登记机构签发的，或签发后被改动。",
    check_included_ok: included_ok,
    check_included_bad: "未能证明该证书记录在本登记机构签名的存证账本中。",
    check_anchored: anchored,
    check_not_anchored: "该检查点尚未锚定到区块链。",
    check_status: status_now,
    check_unknown_number: "本登记机构没有此编号的证书。",
    check_mismatch: "文件与登记记录不一致。",
    what_failed: "未通过的检查",
    file_unreadable: "无法读取该文件：请上传证书 PDF 或证书 JSON。",
    file_too_large: "文件过大。",
    file_too_complex: pdf_too_complex,
    number_invalid: "证书编号为 17 位数字。",

    ledger_title: "存证账本",
    ledger_intro: "每一份证书的颁发及其后的每一项登记行为，都作为一条记录追加到只增不改的 Merkle 树账本中。登记机构对账本的每个检查点签名，并定期锚定到区块链，任何人都可以离线核验。",
    checkpoint: "最新检查点",
    ledger_size: "记录数",
    anchors: "区块链锚定",
    no_anchors: "尚无锚定记录。",
    chain: "链",
    transaction: "交易哈希",
    block: "区块",
    anchored_at: "锚定时间",
    verify_offline: "如何离线核验",
    verify_offline_steps: "银行、法院或任何人都可以不联网、不信任本网站地核验证书：下载本登记机构建议的信任策略和证书的离线证明（证书 PDF 也内嵌了它），用 dataip verify 在本地检查登记机构的签名、账本包含证明、检查点签名以及策略要求的见证人联署。离线证明说明证书曾经颁发；撤销、转让、质押等后续状态请加 --online 查询。",
    witnesses: "见证人联署",
    no_cosignatures: "该检查点尚无见证人联署。",
    policy: "信任策略",
    download_proof: "下载离线证明",
    check_witnessed: |names| format!("账本检查点已由见证人联署：{names}"),
    check_not_witnessed: "账本检查点尚无见证人联署",

    unsubscribe_title: "退订邮件",
    unsubscribe_intro: "确认后，您将不再收到此类邮件。您可以随时在账户的通知设置中重新开启。",
    unsubscribe_button: "确认退订",
    unsubscribed: "已退订：您将不再收到此类邮件。",
    confirm_email_title: "确认电子邮件地址",
    confirm_email_intro: "点击下面的按钮，确认这个邮箱属于您。确认之后，安全通知、关注提醒和机构的通知才会发到这里。",
    confirm_email_button: "确认",
    confirm_email_invalid: "此链接无效、已使用或已过期。请登录后重新获取确认链接。",
    email_confirmed: address_confirmed,

    not_found_title: "页面不存在",
    not_found_body: "您要找的页面或记录不存在，可能是地址有误，或记录尚未公开。",
    back_home: "返回首页",

    feed_announcements: "登记公示",
    feed_certificates: "登记证书与状态变更",
    feed_announced,
    feed_changed,

    categories: ["数据集合", "数据产品", "数据算法"],
    statuses: ["有效", "已到期", "已撤销", "已注销"],
    objection_states: ["处理中", "异议成立", "异议不成立", "已撤回"],
    grounds: [
        "危害国家安全或公共利益",
        "侵犯个人信息或隐私",
        "数据来源不合法或侵犯他人权益",
        "权属不清或存在争议",
        "隐瞒真实情况或弄虚作假",
        "重复申请",
        "其他",
    ],
    material_kinds: ["登记申请表", "数据产品摘要", "实质性加工和创新说明", "应用场景说明", "数据来源证明", "数据样例"],
    act_kinds: ["许可", "质押", "解除质押", "转让", "变更", "续展", "注销", "撤销"],
    under_preservation: "查封中：保全措施解除前，本证书不得转让、质押、许可或注销。",
    measures: "保全措施",
    measure: "措施",
    authority: "决定机关",
    document_number: "文书编号",
    measure_in_force: "执行中",
    measure_lifted: "已解除",
    rank: "顺位",
    transferee: "受让人",
    confirm_act_title: "请确认登记行为",
    confirm_act_word: |kind| format!("下列证书的持有人申请了一项涉及你方的登记行为（{kind}），经你方确认后方可登记。"),
    confirm_act_consent: |kind| {
        format!("下列证书已向你方出质。持有人申请的这项登记行为（{kind}）将影响你方质权，经你方同意后方可登记。")
    },
    confirm_act_intro: "请仅在你方确已同意时确认。登记机构将记录你方的答复、时间及来源地址。此链接仅可使用一次。",
    confirm_act_due: "答复期限",
    confirm_act_confirm: "确认",
    confirm_act_decline: "拒绝",
    confirm_act_confirmed: "已确认。该登记行为将进入登记机构审查。",
    confirm_act_declined: "已拒绝。该登记行为不予登记，并已通知持有人。",
    confirm_act_closed: "该登记行为已不再等待答复：已失效、被拒绝或已有决定。",
    confirm_act_choose: "请在链接打开的页面上选择“确认”或“拒绝”。",
};

fn home_intro(announcement: &str, validity: &str) -> String {
    format!(
        "企业可为数据处理形成的数据集合、数据产品和数据算法办理知识产权登记，取得“数据身份证”。\
         经审查通过的申请公示{announcement}，公示期内无异议或异议不成立的，颁发有效期{validity}的登记证书。"
    )
}

fn home_steps(announcement: &str) -> String {
    format!("在线提交 → 审查 → 公示{announcement} → 颁发证书 → 许可、质押、转让等行为逐项登记")
}

/// Years in Chinese numerals up to ten (三年); the rest in digits, set
/// apart by spaces as the registry's pages write numbers (15 日).
fn period(duration: &IsoDuration) -> String {
    const NUMERALS: [&str; 11] = ["零", "一", "两", "三", "四", "五", "六", "七", "八", "九", "十"];
    let spelled = |n: u32, unit: &str| match NUMERALS.get(n as usize) {
        Some(numeral) => format!("{numeral}{unit}"),
        None => format!(" {n} {unit}"),
    };
    let digits = |n: u32, unit: &str| format!(" {n} {unit}");
    let mut text = String::new();
    for (n, part) in [
        (duration.years, spelled(duration.years, "年")),
        (duration.months, spelled(duration.months, "个月")),
        (duration.weeks, spelled(duration.weeks, "周")),
        (duration.days, digits(duration.days, "日")),
        (duration.working_days, digits(duration.working_days, "个工作日")),
        (duration.hours, digits(duration.hours, "小时")),
        (duration.minutes, digits(duration.minutes, "分钟")),
        (duration.seconds, digits(duration.seconds, "秒")),
    ] {
        if n > 0 {
            text.push_str(&part);
        }
    }
    text
}

fn days_left(days: i64) -> String {
    match days {
        ..=0 => "今日截止".to_owned(),
        days => format!("剩余 {days} 天"),
    }
}

fn too_long(max: usize) -> String {
    format!("最多 {max} 个字。")
}

fn validity_bounded(day: &str) -> String {
    format!("有效期以数据来源授权协议届满日（{day}）为限。")
}

fn ended(day: &str, reason: &str) -> String {
    format!("{day}：{reason}")
}

fn included_ok(index: u64, size: u64) -> String {
    format!("已记录在存证账本中：第 {index} 条记录，包含于本登记机构签名的检查点（共 {size} 条）。")
}

fn anchored(chain_id: u64, tx: &str) -> String {
    format!("该检查点已锚定到区块链（链 ID {chain_id}，交易 {tx}）。")
}

fn status_now(status: &str) -> String {
    format!("当前状态：{status}。")
}

fn feed_announced(product: &str) -> String {
    format!("公示：{product}")
}

fn feed_changed(status: &str, product: &str, number: &str) -> String {
    format!("{status}：{product}（{number}）")
}

fn pdf_too_complex(what: &str) -> String {
    format!("无法核验该 PDF（{what}）。请上传登记机构出具的证书 PDF 或证书 JSON。")
}

fn address_confirmed(email: &str) -> String {
    format!("已确认：{email} 是您的邮箱，从现在起可以收到登记机构的邮件。")
}
