//! The served OpenAPI document as its consumers read it: `redocly lint`
//! (the recommended rules, tools/contract/redocly.yaml) finds nothing, and a
//! TypeScript client generated from it by openapi-typescript type-checks
//! with `tsc --strict`. The tools are pinned in tools/contract (npm ci
//! --prefix tools/contract).

use std::{
    path::{Path, PathBuf},
    process::{Command, Output},
};

use serde_json::Value;

use crate::helpers::spawn_app;

fn contract_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tools/contract")
}

/// A tool from tools/contract/node_modules, or a failure saying how to get it.
fn tool(name: &str) -> PathBuf {
    let path = contract_dir().join("node_modules/.bin").join(name);
    assert!(
        path.exists(),
        "{} is missing: run `npm ci --prefix tools/contract` (tools/test does it when missing)",
        path.display()
    );
    path
}

fn run(command: &mut Command) -> Output {
    // No telemetry or update checks: the tests stay on this machine.
    command.env("REDOCLY_TELEMETRY", "off").env("REDOCLY_SUPPRESS_UPDATE_NOTICE", "true").env("NO_COLOR", "1");
    command.output().unwrap_or_else(|e| panic!("{command:?} runs: {e}"))
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A directory of its own under the system's temporary directory, removed
/// when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Self {
        let dir = std::env::temp_dir().join(format!("dataip-contract-{}", uuid::Uuid::now_v7()));
        std::fs::create_dir_all(&dir).expect("scratch directory");
        Self(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if std::env::var_os("DATAIP_KEEP_CONTRACT").is_none() {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

/// Type-level uses of the generated client: every operation by its
/// operationId, a request body, a response body and a problem answer.
const CLIENT: &str = r#"import type { components, operations, paths } from "./api";

type Problem = components["schemas"]["Problem"];
type Application = paths["/api/v1/applications/{id}"]["get"]["responses"][200]["content"]["application/json"];
type NewApplication = operations["createApplication"]["requestBody"]["content"]["application/json"];
type Page = operations["listPublicAnnouncements"]["responses"][200]["content"]["application/json"];
type NotFound = operations["getApplication"]["responses"][404]["content"]["application/problem+json"];

const draft: NewApplication = {
    product_name: "长三角物流时效数据集",
    category: "data_product",
    abstract: "A dataset of delivery times.",
    data_sources: [{ kind: "self_collected", description: "Our own waybills" }],
};

function describe(application: Application, problem: Problem, missing: NotFound, page: Page): string {
    const next: string | null | undefined = page.next_cursor;
    return `${application.id} ${application.state} ${problem.code} ${missing.status} ${next ?? "last"} ${draft.category}`;
}

export const operationIds: ReadonlyArray<keyof operations> = OPERATION_IDS;
export { describe };
"#;

#[tokio::test]
async fn the_document_passes_redocly_lint_and_generates_a_typed_client() {
    let redocly = tool("redocly");
    let openapi_typescript = tool("openapi-typescript");
    let tsc = tool("tsc");

    let app = spawn_app().await;
    let answer = app.get("/openapi.json", None).await;
    let document = answer.assert_status(200).clone();
    let scratch = Scratch::new();
    let document_path = scratch.0.join("openapi.json");
    std::fs::write(&document_path, serde_json::to_vec_pretty(&document).expect("json")).expect("written");

    // Lint: no errors and no warnings.
    let lint = run(Command::new(&redocly)
        .arg("lint")
        .arg(&document_path)
        .arg("--config")
        .arg(contract_dir().join("redocly.yaml"))
        .args(["--format", "json", "--max-problems", "1000"]));
    let report: Value = serde_json::from_slice(&lint.stdout)
        .unwrap_or_else(|e| panic!("redocly lint answers JSON ({e}):\n{}\n{}", text(&lint.stdout), text(&lint.stderr)));
    let problems: Vec<String> = report["problems"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|problem| {
            let pointer = problem["location"][0]["pointer"].as_str().unwrap_or_default();
            format!("{} {}: {} at {pointer}", problem["severity"], problem["ruleId"], problem["message"])
        })
        .collect();
    assert!(problems.is_empty(), "redocly lint:\n{}", problems.join("\n"));
    assert_eq!(report["totals"]["errors"], 0, "{report}");
    assert_eq!(report["totals"]["warnings"], 0, "{report}");
    assert!(lint.status.success(), "redocly lint failed:\n{}", text(&lint.stderr));

    // A client generated from it type-checks, naming every operation.
    let types = run(Command::new(&openapi_typescript).arg(&document_path).arg("-o").arg(scratch.0.join("api.d.ts")));
    assert!(types.status.success(), "openapi-typescript:\n{}\n{}", text(&types.stdout), text(&types.stderr));
    let operation_ids: Vec<String> = document["paths"]
        .as_object()
        .expect("paths")
        .values()
        .flat_map(|item| item.as_object().into_iter().flatten())
        .filter_map(|(_, operation)| operation["operationId"].as_str().map(|id| format!("{id:?}")))
        .collect();
    assert!(operation_ids.len() > 50, "{operation_ids:?}");
    let client = CLIENT.replace("OPERATION_IDS", &format!("[{}]", operation_ids.join(", ")));
    std::fs::write(scratch.0.join("client.ts"), client).expect("written");
    let checked = run(Command::new(&tsc)
        .args(["--noEmit", "--strict", "--target", "es2022", "--module", "nodenext", "--moduleResolution", "nodenext"])
        .arg(scratch.0.join("client.ts"))
        .current_dir(&scratch.0));
    assert!(
        checked.status.success(),
        "tsc --strict on a client of the generated types:\n{}\n{}",
        text(&checked.stdout),
        text(&checked.stderr)
    );
}
