//! The worker registering applications whose announcement has ended: N
//! applications made due at once, then timed while `workers` workers close
//! their windows (certificates, history rows, notifications) and the
//! ledger job appends the issuance entries as leaves, with receipts.

use std::{sync::Arc, time::Instant};

use chrono::{DateTime, Duration, Utc};
use dataip::{
    clock::SystemClock,
    config::MailTls,
    db::{self, parties::PartyRow, users::UserRow, webhooks::WebhookRow},
    domain::{CreditCode, RegistrationNumber, Role, Verification},
    services::{registration::closing, transparency::ledger},
    state::AppState,
};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::database::BenchDatabase;

/// Applications per transaction: the worker's own.
pub const BATCH: i64 = closing::BATCH;

/// Holder organizations the applications are spread over, each with two
/// users mailed and one webhook: three notifications per certificate.
const ORGANIZATIONS: usize = 100;

/// Characters of each abstract, as long as real ones run.
const ABSTRACT_CHARS: usize = 500;

pub struct WorkerRun {
    /// From the workers' start until every entry is a leaf.
    pub seconds: f64,
    /// Of which the ledger's appending, after the workers finished.
    pub ledger_seconds: f64,
    pub issued: i64,
    /// Issuance entries in the ledger, each certificate with its receipt.
    pub leaves: i64,
    /// Outbox rows: mail and webhook deliveries.
    pub notifications: i64,
}

/// Makes `n` applications due, then times `workers` workers closing them,
/// `batch` per transaction, and the ledger appending what they issued.
pub async fn run(n: usize, workers: usize, batch: i64) -> anyhow::Result<WorkerRun> {
    let mut database = BenchDatabase::create().await?;
    seed(&database.pool, n).await?;
    // Mail on (never delivered here), so that issuance writes its mail too.
    let mail = &mut database.config.mail;
    (mail.host, mail.port, mail.tls) = ("127.0.0.1".into(), 2525, MailTls::None);
    mail.sender = "基准登记机构 <registry@example.org>".into();
    let mut config = database.config.clone();
    config.settle(None);
    let state = AppState::new(config, database.pool.clone(), Arc::new(SystemClock))?;

    let started = Instant::now();
    let tasks: Vec<_> = (0..workers)
        .map(|_| {
            let state = state.clone();
            tokio::spawn(async move { closing::close_due(&state, batch).await })
        })
        .collect();
    for task in tasks {
        task.await??;
    }
    let closed = started.elapsed().as_secs_f64();
    ledger::append_pending(&state).await?;
    let seconds = started.elapsed().as_secs_f64();

    let count = |sql: &'static str| sqlx::query_scalar::<_, i64>(sql).fetch_one(&database.pool);
    let issued = count("SELECT count(*) FROM certificates").await?;
    let leaves = count("SELECT count(*) FROM certificates WHERE ledger IS NOT NULL").await?;
    anyhow::ensure!(
        count("SELECT count(*) FROM ledger_leaves").await? == leaves,
        "every leaf is a certificate's issuance, with its receipt"
    );
    let notifications = count("SELECT count(*) FROM outbox").await?;
    drop(state);
    database.drop().await?;
    Ok(WorkerRun { seconds, ledger_seconds: seconds - closed, issued, leaves, notifications })
}

/// `ORGANIZATIONS` verified organizations, each with two users and a
/// webhook, and `n` applications spread over them, in announcement, their
/// window ended a minute ago, each with its own 500-character Chinese
/// abstract and the four required materials. Written through the service's
/// own storage functions and compile-checked queries, so a schema change
/// breaks the build, not the benchmark. Nothing is ANALYZEd: this
/// PostgreSQL runs without autovacuum, so the worker's queries must plan
/// well without statistics.
async fn seed(pool: &sqlx::PgPool, n: usize) -> anyhow::Result<()> {
    let now = Utc::now();
    let mut tx = pool.begin().await?;
    let mut orgs = Vec::with_capacity(ORGANIZATIONS);
    for i in 0..ORGANIZATIONS {
        orgs.push(organization(&mut tx, i, now).await?);
    }
    let content = b"%PDF-1.7 bench";
    let sha256 = Sha256::digest(content).to_vec();
    let size = i64::try_from(content.len())?;
    let chunk = Uuid::now_v7();
    db::blobs::insert_chunk(&mut tx, chunk, 0, content, now).await?;
    let blob = db::blobs::finish(&mut tx, chunk, &sha256, size, now).await?;
    let mut abstracts = Abstracts::default();
    // A thousand per statement: each row's abstract is indexed by its
    // trigrams, which takes long enough to meet the statement timeout.
    for start in (0..n).step_by(1_000) {
        let count = (n - start).min(1_000);
        let ids: Vec<Uuid> = (0..count).map(|_| Uuid::now_v7()).collect();
        let org_ids: Vec<Uuid> = (start..start + count).map(|i| orgs[i % ORGANIZATIONS]).collect();
        let numbers: Vec<String> = (start..start + count)
            .map(|i| RegistrationNumber::new("3100", 2026, i as u64 + 1).map(|r| r.to_string()))
            .collect::<Result<_, _>>()?;
        let texts: Vec<String> = (0..count).map(|_| abstracts.next()).collect();
        sqlx::query!(
            r#"INSERT INTO applications (id, org_id, state, version, product_name, category, abstract, data_sources,
                   registration_number, submitted_at, announcement_starts_at, announcement_ends_at, created_at,
                   updated_at, normalized_product_name)
               SELECT id, org_id, 'in_announcement', 5, '基准数据产品 ' || number, 'data_product', text,
                   '[{"kind":"self_collected","description":"自有数据"}]', number, $2, $2, $3, $2, $2,
                   '基准数据产品' || lower(number)
               FROM UNNEST($1::uuid[], $4::text[], $5::uuid[], $6::text[]) AS t(id, number, org_id, text)"#,
            &ids,
            now - Duration::days(16),
            now - Duration::minutes(1),
            &numbers,
            &org_ids,
            &texts,
        )
        .execute(&mut *tx)
        .await?;
        sqlx::query!(
            "INSERT INTO materials (application_id, org_id, kind, filename, media_type, size, sha256, blob_id, uploaded_at)
             SELECT id, org_id, kind::material_kind, kind || '.pdf', 'application/pdf', $5, $6, $3, $4
             FROM UNNEST($1::uuid[], $2::uuid[]) AS t(id, org_id)
             CROSS JOIN UNNEST(ARRAY['application_form', 'summary', 'processing_innovation', 'application_scenarios'])
                 AS k(kind)",
            &ids,
            &org_ids,
            blob,
            now,
            size,
            &sha256,
        )
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// A verified organization, its owner and a member, and a webhook for its
/// applications' events.
async fn organization(conn: &mut sqlx::PgConnection, i: usize, now: DateTime<Utc>) -> anyhow::Result<Uuid> {
    let credit_code = CreditCode::complete(&format!("91310000MA{i:07}"))?;
    // Verified, as an organization must be before it files anything.
    let org = PartyRow {
        verification: Verification::Verified,
        ..PartyRow::organization(format!("基准测试数据有限公司{i}"), credit_code.as_str().to_owned(), now)
    };
    db::parties::insert(conn, &org).await?;
    for (role, who) in [(Role::Owner, "owner"), (Role::Member, "member")] {
        let user = UserRow {
            id: Uuid::now_v7(),
            org_id: Some(org.id),
            email: format!("{who}{i}@bench.example.org"),
            password_hash: "unusable".into(),
            display_name: format!("{who} {i}"),
            role,
            created_at: now,
            disabled_at: None,
            // Proven, as a registry's long-standing users' addresses are.
            email_confirmed_at: Some(now),
            token_generation: 0,
        };
        db::users::insert(conn, &user, None).await?;
    }
    let webhook = WebhookRow {
        id: Uuid::now_v7(),
        org_id: org.id,
        url: format!("https://hooks.example.org/{i}"),
        events: vec!["application.*".into()],
        secret: vec![7; 32],
        previous_secret: None,
        previous_secret_until: None,
        created_at: now,
        failing_since: None,
    };
    db::webhooks::insert(conn, &webhook).await?;
    Ok(org.id)
}

/// Abstracts of `ABSTRACT_CHARS` Chinese characters, each different: the
/// words of the domain drawn by a fixed pseudo-random sequence, frequent
/// words far more often than rare ones, as in real text (uniformly random
/// characters would make nearly every trigram unique, and the trigram
/// indexes several times larger than real abstracts make them).
struct Abstracts {
    words: Vec<&'static str>,
    state: u64,
}

impl Default for Abstracts {
    fn default() -> Self {
        let words = "的 数据 和 产品 在 服务 基于 提供 平台 信息 企业 进行 应用 分析 包括 模型 通过 为 与 技术 系统 用户 \
            管理 实现 支持 相关 场景 质量 交易 安全 业务 主要 能够 形成 开展 具有 可以 及 对 以 是 本 该 算法 训练 样本 \
            采集 清洗 标注 存储 计算 金融 医疗 交通 能源 制造 零售 城市 治理 气象 农业 教育 合规 隐私 保护 脱敏 加密 共享 \
            开放 标准 评估 价值 定价 来源 合法 使用 范围 期限 更新 频率 规模 格式 接口 调用 实时 离线 批量 历史 统计 指标 \
            画像 风险 预警 监测 预测 推荐 搜索 识别 图像 语音 文本 结构化 非个人 公共 行业 区域 上海 北京 深圳 知识产权 \
            登记 证书 公告 机构 组织 流通 授权 许可 质押 加工 集合 客户 方法 过程 结果 研究 发展 经济 社会 市场 资源 \
            要素 产业 数字 智能 网络 云 边缘 物联网 传感器 日志 交易记录 订单 商品 价格 库存 物流 运输 路线 车辆 轨迹 \
            位置 时间 天气 温度 降水 作物 产量 病虫害 患者 病历 影像 诊断 药品 保险 理赔 信贷 征信 还款 违约 电力 负荷 \
            用电 光伏 风电 储能 碳排放 企业名录 工商 税务 司法 专利 论文 标准化 接口规范 脱敏规则 质量报告";
        Self { words: words.split_whitespace().collect(), state: 0 }
    }
}

impl Abstracts {
    fn next(&mut self) -> String {
        let mut text = String::new();
        let mut chars = 0;
        while chars < ABSTRACT_CHARS {
            // SplitMix64: cheap, and the same sequence every run.
            self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut x = self.state;
            x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            x ^= x >> 31;
            // Skewed towards the first (most frequent) words.
            let u = (x >> 11) as f64 / (1u64 << 53) as f64;
            let word = self.words[(u.powf(2.5) * self.words.len() as f64) as usize];
            for c in word.chars().take(ABSTRACT_CHARS - chars) {
                text.push(c);
                chars += 1;
            }
        }
        text
    }
}
