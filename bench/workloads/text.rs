//! Realistic text for the benchmarks: product names and ~500-character
//! Chinese abstracts that differ from product to product, drawn from a
//! vocabulary of two-character domain words, and the search queries made
//! of those words.

/// The domain words abstracts are made of: each is a two-character term a
/// person would search for.
pub const WORDS: [&str; 40] = [
    "物流", "医疗", "金融", "交通", "气象", "能源", "零售", "电商", "航运", "港口", "仓储", "冷链", "保险", "信贷",
    "支付", "旅游", "教育", "农业", "制造", "汽车", "电力", "水务", "环境", "地理", "遥感", "人口", "就业", "税务",
    "海关", "医药", "基因", "影像", "语音", "文本", "图像", "视频", "舆情", "招聘", "房产", "餐饮",
];

/// Sentences an abstract is built from; `{}` takes a domain word.
const SENTENCES: [&str; 6] = [
    "本数据产品汇集{}领域的多源业务记录，经过清洗、脱敏与标准化加工，形成结构统一的数据集。",
    "数据覆盖长三角主要城市，按日更新，字段包括时间、地点、类别、数量与状态等维度。",
    "在{}场景中可用于趋势分析、风险识别与运营优化，并已在多家机构试点应用。",
    "加工过程采用自研的质量校验算法，对缺失值与异常值进行识别和修正，准确率超过百分之九十九。",
    "产品以接口和文件两种方式交付，支持按需订阅与批量下载，满足{}行业的合规要求。",
    "数据来源合法合规，已取得数据提供方的授权，个人信息均经过匿名化处理。",
];

/// A small deterministic generator: the same N gives the same text.
fn pick(seed: &mut u64, below: usize) -> usize {
    *seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
    ((*seed >> 33) % below as u64) as usize
}

/// The domain words of product `i`: six of the forty, its own mix.
fn words_of(i: usize) -> [&'static str; 6] {
    let mut seed = i as u64 ^ 0x9e37_79b9_7f4a_7c15;
    std::array::from_fn(|_| WORDS[pick(&mut seed, WORDS.len())])
}

pub fn product_name(i: usize) -> String {
    let words = words_of(i);
    format!("{}{}数据集 {i}", words[0], words[1])
}

/// About 500 characters, its sentences and words chosen by `i`.
pub fn abstract_of(i: usize) -> String {
    let words = words_of(i);
    let mut seed = i as u64;
    let mut text = String::new();
    let mut w = 0;
    while text.chars().count() < 480 {
        let sentence = SENTENCES[pick(&mut seed, SENTENCES.len())];
        text.push_str(&sentence.replacen("{}", words[w % words.len()], 1));
        w += 1;
    }
    text
}

/// Queries a cache cannot carry: `count` distinct ones, each of two or
/// three two-character words, or a word and a product's number.
pub fn cold_queries(count: usize, products: usize) -> Vec<String> {
    let mut seed = 7u64;
    let mut seen = std::collections::HashSet::new();
    let mut queries = Vec::with_capacity(count);
    while queries.len() < count {
        let query = match pick(&mut seed, 2) {
            0 => {
                let [a, b, c] = [0; 3].map(|_| WORDS[pick(&mut seed, WORDS.len())]);
                format!("{a} {b} {c}")
            }
            _ => format!("{} {}", WORDS[pick(&mut seed, WORDS.len())], pick(&mut seed, products.max(1))),
        };
        if seen.insert(query.clone()) {
            queries.push(query);
        }
        if seen.len() >= WORDS.len().pow(3) + WORDS.len() * products.max(1) {
            break;
        }
    }
    queries
}

/// A few popular queries, asked again and again: single words.
pub fn warm_queries() -> Vec<String> {
    WORDS[..16].iter().map(|word| (*word).to_owned()).collect()
}
