//! Product names as duplicates are compared: two names are the same product
//! name when their normal forms are equal.

use unicode_normalization::UnicodeNormalization;

/// The normal form of a product name: Unicode NFKC (full-width letters and
/// digits become ASCII, compatibility characters their plain forms), every
/// white space character removed, and case folded (upper-cased, then
/// lower-cased, which folds `ß` and `SS`, `ς` and `σ` alike). So
/// `长三角 物流数据集`, `长三角物流数据集` and `长三角物流数据集` written
/// with an ideographic space are one name, as are `ＤａｔａＳｅｔ` and
/// `dataset`.
pub fn normalized_product_name(name: &str) -> String {
    let compatible: String = name.nfkc().filter(|c| !c.is_whitespace()).collect();
    // Case mapping can leave a sequence that is no longer NFKC: normalise again.
    compatible.to_uppercase().to_lowercase().nfkc().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn white_space_width_and_case_do_not_make_another_name() {
        let same = [
            "长三角物流时效数据集",
            " 长三角 物流时效数据集 ",
            "长三角\u{3000}物流时效\t数据集",
            "长三角\u{a0}物流时效数据集",
        ];
        for name in same {
            assert_eq!(normalized_product_name(name), "长三角物流时效数据集", "{name:?}");
        }
        assert_eq!(normalized_product_name("ＤａｔａＳｅｔ ２０２６"), "dataset2026");
        assert_eq!(normalized_product_name("Data Set 2026"), "dataset2026");
        assert_eq!(normalized_product_name("STRASSE"), normalized_product_name("straße"));
        assert_eq!(normalized_product_name("ΟΔΟΣ"), normalized_product_name("οδοσ"));
        assert_eq!(normalized_product_name("Ⅻ号模型"), "xii号模型", "compatibility characters");
        assert_eq!(normalized_product_name("ｶﾞｲﾄﾞ"), normalized_product_name("ガイド"), "half-width kana");
    }

    #[test]
    fn other_words_stay_other_names() {
        assert_ne!(normalized_product_name("长三角物流时效数据集"), normalized_product_name("长三角物流时效数据集2"));
        assert_ne!(normalized_product_name("物流数据"), normalized_product_name("物流數據"), "no script conversion");
    }

    #[test]
    fn the_normal_form_is_stable() {
        for name in ["ＤａｔａＳｅｔ ２０２６", "straße", "Ⅻ号模型", "é", "e\u{301}"] {
            let once = normalized_product_name(name);
            assert_eq!(normalized_product_name(&once), once, "{name:?}");
        }
        assert_eq!(normalized_product_name("é"), normalized_product_name("e\u{301}"));
    }
}
