//! The certificate as a document a person can hold: an A4 PDF with the
//! registry's name, the numbers, holder, product, validity, the materials'
//! hashes and a QR code linking to the public record. Chinese text is set
//! in WenQuanYi Micro Hei, subset (with allsorts, which printpdf itself
//! uses) to the glyphs used. The signed certificate rides along as an
//! attached file, so the PDF alone can be verified.

pub mod attachment;
#[cfg(test)]
mod bombs;
pub mod reader;

use printpdf::{
    Color, Mm, Op, PaintMode, ParsedFont, PdfDocument, PdfFontHandle, PdfPage, PdfSaveOptions, Point, Pt, Rect, Rgb,
    TextItem,
};
use qrcode::QrCode;

use self::attachment::Attachment;
use crate::domain::{Category, CertificateStatus, MaterialKind, PartyKind};

const FONT: &[u8] = include_bytes!("../assets/fonts/wqy-microhei.ttc");

/// What the document shows.
pub struct CertificatePdf {
    pub registry_name: String,
    pub certificate_number: String,
    pub registration_number: String,
    pub holder_name: String,
    pub holder_kind: PartyKind,
    /// An organization's credit code, or a person's identity number masked.
    pub holder_identity: String,
    pub product_name: String,
    pub category: Category,
    pub status: CertificateStatus,
    /// Dates on the registry's calendar, `YYYY-MM-DD`.
    pub valid_from: String,
    pub valid_until: String,
    /// The day the data-source agreement that bounds the validity ends, when
    /// one does.
    pub validity_bound: Option<String>,
    /// The preservation measures in force, each as one line (kind,
    /// authority, document number, term).
    pub measures: Vec<String>,
    pub materials: Vec<(MaterialKind, String)>,
    /// The public record's page, which the QR code encodes.
    pub verify_url: String,
    /// The signed certificate (document, signature, ledger receipt) as
    /// JSON, attached to the PDF.
    pub signed: Vec<u8>,
    /// The offline proof of the issuance (C2SP tlog-proof), once recorded.
    pub proof: Option<String>,
    pub key_id: String,
    pub ledger_index: Option<u64>,
}

/// The embedded font cut down to the glyphs of `text` (and .notdef), so a
/// certificate carries a few kilobytes of font rather than four megabytes.
fn subset_font(text: &str) -> anyhow::Result<Vec<u8>> {
    use allsorts::{
        binary::read::ReadScope,
        font::{Font, MatchingPresentation},
        font_data::FontData,
        subset::{CmapTarget, SubsetProfile, subset},
    };
    let data = ReadScope::new(FONT).read::<FontData<'_>>()?;
    let mut font = Font::new(data.table_provider(0)?)?;
    let mut glyphs = vec![0u16];
    for ch in text.chars() {
        let (glyph, _) = font.lookup_glyph_index(ch, MatchingPresentation::NotRequired, None);
        glyphs.push(glyph);
    }
    glyphs.sort_unstable();
    glyphs.dedup();
    Ok(subset(&font.font_table_provider, &glyphs, &SubsetProfile::Minimal, CmapTarget::Unicode)?)
}

fn category_label(category: Category) -> &'static str {
    match category {
        Category::DataCollection => "数据加工集合 Data processing collection",
        Category::DataProduct => "数据加工产品 Data processing product",
        Category::DataAlgorithm => "数据技术算法 Data technical algorithm",
    }
}

fn status_label(status: CertificateStatus) -> &'static str {
    match status {
        CertificateStatus::Active => "有效 Active",
        CertificateStatus::Expired => "已过期 Expired",
        CertificateStatus::Revoked => "已撤销 Revoked",
        CertificateStatus::Cancelled => "已注销 Cancelled",
    }
}

fn material_label(kind: MaterialKind) -> &'static str {
    match kind {
        MaterialKind::ApplicationForm => "登记申请表",
        MaterialKind::Summary => "产品摘要",
        MaterialKind::ProcessingInnovation => "实质性加工与创新说明",
        MaterialKind::ApplicationScenarios => "应用场景说明",
        MaterialKind::DataSourceProof => "数据来源证明",
        MaterialKind::Sample => "数据样例",
    }
}

/// What is drawn on the page, positions in millimetres from the bottom
/// left as PDF counts them. Collected first, because the font is cut down to
/// the text drawn.
enum Mark {
    Text { x: f32, y: f32, size: f32, text: String },
    Fill((f32, f32, f32)),
    Rect { x: f32, y: f32, width: f32, height: f32 },
}

#[derive(Default)]
struct Page {
    marks: Vec<Mark>,
}

impl Page {
    fn text(&mut self, x: f32, y: f32, size: f32, text: &str) {
        self.marks.push(Mark::Text { x, y, size, text: text.to_owned() });
    }

    fn fill(&mut self, rgb: (f32, f32, f32)) {
        self.marks.push(Mark::Fill(rgb));
    }

    fn rect(&mut self, x: f32, y: f32, width: f32, height: f32) {
        self.marks.push(Mark::Rect { x, y, width, height });
    }

    /// A QR code of `data`, `size` mm wide, its lower left corner at (x, y).
    fn qr(&mut self, x: f32, y: f32, size: f32, data: &str) -> anyhow::Result<()> {
        let code = QrCode::new(data.as_bytes())?;
        let width = code.width();
        let module = size / width as f32;
        self.fill((0.0, 0.0, 0.0));
        for (i, color) in code.to_colors().into_iter().enumerate() {
            if color == qrcode::Color::Dark {
                let (column, row) = ((i % width) as f32, (i / width) as f32);
                // Rows count down from the top of the code.
                self.rect(x + column * module, y + size - (row + 1.0) * module, module, module);
            }
        }
        Ok(())
    }

    /// The page as a PDF of one A4 page, with the font subset to its text.
    fn into_pdf(self, title: &str) -> anyhow::Result<Vec<u8>> {
        let text: String = self
            .marks
            .iter()
            .filter_map(|mark| match mark {
                Mark::Text { text, .. } => Some(text.as_str()),
                _ => None,
            })
            .collect();
        let font = ParsedFont::from_bytes(&subset_font(&text)?, 0, &mut Vec::new())
            .ok_or_else(|| anyhow::anyhow!("the subset font could not be parsed"))?;
        let mut document = PdfDocument::new(title);
        let font = PdfFontHandle::External(document.add_font(&font));
        let mut ops = Vec::new();
        for mark in self.marks {
            match mark {
                Mark::Text { x, y, size, text } => ops.extend([
                    Op::StartTextSection,
                    Op::SetFont { font: font.clone(), size: Pt(size) },
                    Op::SetTextCursor { pos: Point::new(Mm(x), Mm(y)) },
                    Op::ShowText { items: vec![TextItem::Text(text)] },
                    Op::EndTextSection,
                ]),
                Mark::Fill((r, g, b)) => {
                    ops.push(Op::SetFillColor { col: Color::Rgb(Rgb { r, g, b, icc_profile: None }) })
                }
                Mark::Rect { x, y, width, height } => {
                    let mut rectangle =
                        Rect::from_xywh(Mm(x).into(), Mm(y).into(), Mm(width).into(), Mm(height).into());
                    rectangle.mode = Some(PaintMode::Fill);
                    ops.push(Op::DrawRectangle { rectangle });
                }
            }
        }
        // The font is subset already; printpdf embeds it whole.
        let options = PdfSaveOptions { subset_fonts: false, ..Default::default() };
        Ok(document.with_pages(vec![PdfPage::new(Mm(210.0), Mm(297.0), ops)]).save(&options, &mut Vec::new()))
    }
}

pub fn render(certificate: &CertificatePdf) -> anyhow::Result<Vec<u8>> {
    let mut page = Page::default();

    // A frame and a title band.
    page.fill((0.55, 0.1, 0.1));
    page.rect(12.0, 12.0, 186.0, 273.0);
    page.fill((1.0, 1.0, 1.0));
    page.rect(14.0, 14.0, 182.0, 269.0);
    page.fill((0.55, 0.1, 0.1));
    page.text(40.0, 262.0, 24.0, "数据知识产权登记证书");
    page.text(33.0, 252.0, 12.0, "Data Intellectual Property Registration Certificate");
    page.fill((0.0, 0.0, 0.0));
    page.text(25.0, 240.0, 10.0, &certificate.registry_name);

    let mut rows = vec![
        ("证书编号  Certificate No.", certificate.certificate_number.clone()),
        ("登记编号  Registration No.", certificate.registration_number.clone()),
        ("持有人  Holder", certificate.holder_name.clone()),
    ];
    rows.extend(match certificate.holder_kind {
        PartyKind::Organization => vec![("统一社会信用代码  Credit code", certificate.holder_identity.clone())],
        PartyKind::Person => vec![
            ("持有人类型  Holder type", "自然人  Natural person".to_owned()),
            ("身份证号码  ID number", certificate.holder_identity.clone()),
        ],
    });
    rows.extend([
        ("数据产品  Product", certificate.product_name.clone()),
        ("类别  Category", category_label(certificate.category).to_owned()),
        ("有效期  Validity", format!("{} 至 {}", certificate.valid_from, certificate.valid_until)),
        ("状态  Status", status_label(certificate.status).to_owned()),
    ]);
    if let Some(day) = &certificate.validity_bound {
        let bound = format!("数据来源授权协议于 {day} 届满  Data-source agreement ends");
        // Right after the validity.
        let at = rows.iter().position(|(label, _)| label.starts_with("有效期")).map_or(rows.len(), |i| i + 1);
        rows.insert(at, ("有效期受限  Validity bounded", bound));
    }
    // Under the status: what holds the certificate.
    let at = rows.iter().position(|(label, _)| label.starts_with("状态")).map_or(rows.len(), |i| i + 1);
    for (i, line) in certificate.measures.iter().enumerate() {
        rows.insert(at + i, ("保全措施  Preservation", line.clone()));
    }
    let mut y = 222.0;
    for (label, value) in rows {
        page.text(25.0, y, 9.0, label);
        page.text(85.0, y, 11.0, &value);
        y -= 10.0;
    }

    y -= 4.0;
    page.text(25.0, y, 10.0, "登记材料（SHA-256）  Materials");
    y -= 7.0;
    for (kind, sha256) in &certificate.materials {
        page.text(25.0, y, 8.0, material_label(*kind));
        page.text(70.0, y, 7.0, sha256);
        y -= 6.0;
    }

    page.qr(150.0, 22.0, 38.0, &certificate.verify_url)?;
    page.text(150.0, 17.0, 7.0, "扫码核验  Scan to verify");
    page.text(25.0, 34.0, 7.0, &format!("签名密钥  Signing key: {}", certificate.key_id));
    let ledger = certificate.ledger_index.map_or_else(|| "待记录  pending".to_owned(), |i| format!("#{i}"));
    page.text(25.0, 28.0, 7.0, &format!("存证账本  Ledger entry: {ledger}"));
    page.text(25.0, 22.0, 7.0, &certificate.verify_url);

    let pdf = page.into_pdf(&format!("数据知识产权登记证书 {}", certificate.certificate_number))?;
    let mut files = vec![Attachment {
        name: attachment::FILENAME,
        media_type: "application/json",
        description: "The signed certificate, with its ledger receipt",
        bytes: &certificate.signed,
    }];
    if let Some(proof) = &certificate.proof {
        files.push(Attachment {
            name: attachment::PROOF_FILENAME,
            media_type: "text/plain",
            description: "The offline proof of issuance (C2SP tlog-proof): check it with dataip verify --policy",
            bytes: proof.as_bytes(),
        });
    }
    attachment::attach(&pdf, &files)
}
