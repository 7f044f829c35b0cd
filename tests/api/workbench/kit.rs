//! A browser without a browser: a cookie jar and the forms' tokens, for
//! testing the workbench's pages over plain HTTP (Chromium runs the
//! procedure itself in `procedure`).

use std::collections::BTreeMap;

use reqwest::{StatusCode, header};

use crate::helpers::TestApp;

/// One browser's cookies, and the last page it was shown.
pub struct Visitor<'a> {
    app: &'a TestApp,
    pub cookies: BTreeMap<String, String>,
}

/// A page as the visitor got it.
pub struct Page {
    pub status: StatusCode,
    pub location: Option<String>,
    pub body: String,
}

impl Page {
    /// The value of the first hidden `csrf` field.
    pub fn csrf(&self) -> String {
        field_value(&self.body, "csrf").expect("a form with a csrf field")
    }

    pub fn assert_redirect_to(&self, start: &str) {
        assert_eq!(self.status, StatusCode::SEE_OTHER, "{}", self.body);
        let location = self.location.as_deref().unwrap_or_default();
        assert!(location.starts_with(start), "redirected to {location}, not {start}");
    }
}

/// The `value` of the input named `name`.
pub fn field_value(html: &str, name: &str) -> Option<String> {
    let at = html.find(&format!("name=\"{name}\""))?;
    let tag_start = html[..at].rfind('<')?;
    let tag = &html[tag_start..tag_start + html[tag_start..].find('>')?];
    let value = tag.split("value=\"").nth(1)?;
    Some(value[..value.find('"')?].replace("&amp;", "&").replace("&#x2f;", "/").replace("&#x27;", "'"))
}

impl<'a> Visitor<'a> {
    pub fn new(app: &'a TestApp) -> Self {
        Self { app, cookies: BTreeMap::new() }
    }

    fn cookie_header(&self) -> String {
        self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ")
    }

    async fn keep(&mut self, response: reqwest::Response) -> Page {
        for value in response.headers().get_all(header::SET_COOKIE) {
            let value = value.to_str().expect("ascii cookie");
            let (pair, attributes) = value.split_once(';').unwrap_or((value, ""));
            let (name, content) = pair.split_once('=').expect("name=value");
            if attributes.contains("Max-Age=0") {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_owned(), content.to_owned());
            }
        }
        let status = response.status();
        let location = response.headers().get(header::LOCATION).map(|v| v.to_str().expect("ascii").to_owned());
        Page { status, location, body: response.text().await.expect("body") }
    }

    pub async fn get(&mut self, path: &str) -> Page {
        let response = self
            .app
            .client
            .get(format!("{}{path}", self.app.base))
            .header(header::COOKIE, self.cookie_header())
            .send()
            .await
            .expect("request");
        self.keep(response).await
    }

    /// Posts a form as a page of the registry would (`Sec-Fetch-Site:
    /// same-origin`).
    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        self.post_from(path, fields, "same-origin").await
    }

    /// Posts a form from a page of `site` (`same-origin`, `cross-site`...).
    pub async fn post_from(&mut self, path: &str, fields: &[(&str, &str)], site: &str) -> Page {
        let body = form_urlencoded::Serializer::new(String::new()).extend_pairs(fields).finish();
        let response = self
            .app
            .client
            .post(format!("{}{path}", self.app.base))
            .header(header::COOKIE, self.cookie_header())
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header("sec-fetch-site", site)
            .body(body)
            .send()
            .await
            .expect("request");
        self.keep(response).await
    }

    /// Posts a form with a file as a page of the registry would: the text
    /// fields first (the token, the action), then the file under
    /// `file_input` (a material's input is named by its kind).
    pub async fn upload(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        file_input: &str,
        (filename, media_type, bytes): (&str, &str, Vec<u8>),
    ) -> Page {
        let mut form = reqwest::multipart::Form::new();
        for (name, value) in fields {
            form = form.text(name.to_string(), value.to_string());
        }
        let part = reqwest::multipart::Part::bytes(bytes)
            .file_name(filename.to_owned())
            .mime_str(media_type)
            .expect("media type");
        form = form.part(file_input.to_owned(), part);
        let response = self
            .app
            .client
            .post(format!("{}{path}", self.app.base))
            .header(header::COOKIE, self.cookie_header())
            .header("sec-fetch-site", "same-origin")
            .multipart(form)
            .send()
            .await
            .expect("request");
        self.keep(response).await
    }

    /// Signs in through `/login` and lands on the dashboard.
    pub async fn sign_in(&mut self, email: &str, password: &str) -> Page {
        let login = self.get("/login").await;
        let token = login.csrf();
        let page = self
            .post("/login", &[("csrf", &token), ("next", "/workbench"), ("email", email), ("password", password)])
            .await;
        page.assert_redirect_to("/workbench");
        page
    }
}
