//! The workbench's words. Each page's words are declared with [`words!`],
//! Chinese and English side by side, so that no word is given in one
//! language only; a page's template reaches them as `w`, the frame's as
//! `ctx.t`.

/// Declares a catalogue: a struct of `&'static str` fields and its two
/// instances, reached with `Name::of(lang)`.
///
/// ```ignore
/// words! { pub LoginWords {
///     title: "登录", "Sign in";
/// } }
/// ```
#[macro_export]
macro_rules! workbench_words {
    ($vis:vis $name:ident { $($field:ident : $zh:expr, $en:expr;)* }) => {
        #[derive(Debug)]
        $vis struct $name {
            $(pub $field: &'static str,)*
        }

        impl $name {
            pub fn of(lang: $crate::domain::Lang) -> &'static Self {
                const ZH: $name = $name { $($field: $zh,)* };
                const EN: $name = $name { $($field: $en,)* };
                match lang {
                    $crate::domain::Lang::ZhCn => &ZH,
                    $crate::domain::Lang::En => &EN,
                }
            }
        }
    };
}
pub use crate::workbench_words as words;

words! { pub Frame {
    title: "数据知识产权登记工作台", "Data IP registration workbench";
    skip_to_content: "跳到正文", "Skip to content";
    nav_label: "工作台", "Workbench";
    nav_dashboard: "我的申请", "My applications";
    nav_new_application: "新申请", "New application";
    nav_certificates: "证书", "Certificates";
    nav_party: "主体与成员", "Party and members";
    nav_integrations: "接口与通知", "Keys and notifications";
    nav_account: "账户", "Account";
    nav_portal: "公示门户", "Public portal";
    other_language: "English", "中文";
    sign_in: "登录", "Sign in";
    sign_out: "退出", "Sign out";
    signed_in_as: "当前用户", "Signed in as";
    footer_note: "本工作台与 API 使用同一套规则：页面上能办的事，API 同样可以办。", "The workbench follows the same rules as the API: whatever these pages do, the API does too.";
    footer_api: "API 文档", "API documentation";
    not_found_title: "未找到", "Not found";
    not_found_body: "没有这个页面，或者它不属于您的主体。", "There is no such page, or it does not belong to your party.";
    forbidden_title: "无权操作", "Not allowed";
    refused_title: "未能办理", "This could not be done";
    forbidden_body: "您的账户不能办理此事。", "Your account may not do this.";
    expired_form_title: "表单已过期", "This form has expired";
    expired_form_body: "请返回上一页、刷新后重新提交。为防止他人冒用您的身份，每个表单都带有一次会话专用的令牌。", "Go back, reload the page and submit again. Every form carries a token of your session, so that no other site can submit it in your name.";
    cross_site_title: "已拒绝来自其他网站的提交", "A submission from another site was refused";
    cross_site_body: "这个表单不是从本登记机构的页面提交的。", "This form was not submitted from the registry's own pages.";
    unavailable: "服务暂时不可用，请稍后再试。", "The service is unavailable for a moment; try again shortly.";
    rate_limited: "尝试次数过多，请稍后再试。", "Too many attempts; try again later.";
    errors_above: "请更正下列标出的内容。", "Please correct the fields marked below.";
    done: "已完成。", "Done.";
    upload_no_file: "请选择要上传的文件。", "Choose a file to upload.";
    upload_too_large: "文件过大。上限为 ", "The file is too large. The most is ";
    upload_not_a_form: "表单未能读取，请重新选择文件后提交。", "The form could not be read; choose the file again and send it.";
    bytes: "字节", "bytes";
    staff_title: "登记机构工作人员", "Registry staff";
    staff_body: "工作人员的页面尚未开放；请使用 API。", "The staff's pages are not open yet; use the API.";
} }
