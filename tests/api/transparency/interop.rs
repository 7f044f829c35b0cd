//! Checks of our C2SP transparency log outputs with implementations we did not
//! write: Cloudflare azul's `signed_note` and `tlog_tiles` crates (0.2), and
//! Go's golang.org/x/mod `sumdb/note` and `sumdb/tlog` (Debian's 0.7, via
//! `tools/tlogcheck`).
//!
//! Neither azul crate knows c2sp.org/tlog-cosignature (vkey type 0x04): 0.2
//! has only Ed25519 note signatures (type 0x01) and no cosigner. Witness
//! cosignatures are verified through `signed_note`'s `Note::verify` with a
//! [`CosignatureV1Verifier`] of ours plugged in as a `signed_note::Verifier`.
//!
//! `tlog_tiles` 0.2 is a port of x/mod's go.sum tiles: its paths are
//! `tile/<H>/<L>/<N>[.p/<W>]` with the height in the path and `data` for
//! record tiles. C2SP paths drop the height (always 8) and call record tiles
//! `entries`, so [`c2sp_tile_path`] rewrites the crate's own formatting (and
//! checks that the crate parses it back). Entry bundles are parsed here: the
//! crate has no bundle parser.

use std::{
    collections::HashMap,
    path::{Path, PathBuf},
    process::{Command, Output},
    sync::OnceLock,
};

use base64::{Engine, engine::general_purpose::STANDARD};
use signed_note::{Note, StandardVerifier, Verifier, VerifierList};
use tlog_tiles::{Hash as AzulHash, HashReader, Tile, TileHashReader, TileReader};

/// C2SP tiles are 2^8 hashes wide.
const TILE_HEIGHT: u8 = 8;

/// The cosignature/v1 Ed25519 key type in vkeys and key IDs.
const COSIGNATURE_V1_TYPE: u8 = 0x04;

/// Verifies c2sp.org/tlog-cosignature `cosignature/v1` Ed25519 signatures as a
/// `signed_note` verifier: the signature is an 8-byte big-endian timestamp
/// then an Ed25519 signature over `cosignature/v1\ntime <t>\n` ‖ note text.
pub struct CosignatureV1Verifier {
    name: String,
    id: u32,
    public_key: Vec<u8>,
}

impl CosignatureV1Verifier {
    /// From a vkey `name+hexid+base64(0x04 ‖ 32-byte key)`.
    pub fn new(vkey: &str) -> Result<Self, String> {
        // The base64 key may contain '+' itself.
        let parts: Vec<&str> = vkey.trim().splitn(3, '+').collect();
        let [name, id, key] = parts[..] else { return Err(format!("malformed witness vkey {vkey:?}")) };
        let key = STANDARD.decode(key).map_err(|e| format!("witness vkey {vkey:?}: {e}"))?;
        if key.len() != 33 || key[0] != COSIGNATURE_V1_TYPE {
            return Err(format!("witness vkey {vkey:?} is not an Ed25519 cosignature/v1 (type 0x04) key"));
        }
        if !signed_note::is_key_name_valid(name) || id.len() != 8 {
            return Err(format!("malformed witness vkey {vkey:?}"));
        }
        let id = u32::from_str_radix(id, 16).map_err(|e| format!("witness vkey {vkey:?}: {e}"))?;
        if id != signed_note::key_id(name, &key) {
            return Err(format!("witness vkey {vkey:?}: the key ID does not match the key"));
        }
        Ok(Self { name: name.to_owned(), id, public_key: key[1..].to_vec() })
    }
}

impl Verifier for CosignatureV1Verifier {
    fn name(&self) -> &str {
        &self.name
    }

    fn key_id(&self) -> u32 {
        self.id
    }

    fn verify(&self, msg: &[u8], sig: &[u8]) -> bool {
        let Some((timestamp, signature)) = sig.split_first_chunk::<8>() else { return false };
        let timestamp = u64::from_be_bytes(*timestamp);
        if signature.len() != 64 || timestamp > i64::MAX as u64 {
            return false;
        }
        let mut signed = format!("cosignature/v1\ntime {timestamp}\n").into_bytes();
        signed.extend_from_slice(msg);
        aws_lc_rs::signature::UnparsedPublicKey::new(&aws_lc_rs::signature::ED25519, &self.public_key)
            .verify(&signed, signature)
            .is_ok()
    }
}

/// Opens a signed checkpoint with `signed_note` and `tlog_tiles`: it must be
/// signed by `log_vkey` (Ed25519, named after the origin); signatures by
/// other keys are ignored unless `witness_vkeys` (cosignature/v1 Ed25519)
/// names them, when they must verify. Returns the size, the root hash and the
/// names of the witnesses whose cosignatures verified.
pub fn azul_open_checkpoint(
    note: &str,
    log_vkey: &str,
    witness_vkeys: &[&str],
) -> Result<(u64, [u8; 32], Vec<String>), String> {
    let log = StandardVerifier::new(log_vkey.trim()).map_err(|e| format!("log vkey {log_vkey:?}: {e}"))?;
    let (log_name, log_id) = (log.name().to_owned(), log.key_id());
    let mut known: Vec<Box<dyn Verifier>> = vec![Box::new(log)];
    for vkey in witness_vkeys {
        known.push(Box::new(CosignatureV1Verifier::new(vkey)?));
    }
    let parsed = Note::from_bytes(note.as_bytes()).map_err(|e| format!("signed_note: {e}: {note:?}"))?;
    let (verified, _unknown) =
        parsed.verify(&VerifierList::new(known)).map_err(|e| format!("signed_note verify: {e}"))?;
    if !verified.iter().any(|s| s.name() == log_name && s.id() == log_id) {
        return Err(format!("no verified signature by the log key {log_name}+{log_id:08x}"));
    }
    let witnesses =
        verified.iter().filter(|s| !(s.name() == log_name && s.id() == log_id)).map(|s| s.name().to_owned()).collect();
    let checkpoint = tlog_tiles::Checkpoint::from_bytes(parsed.text())
        .map_err(|e| format!("tlog_tiles checkpoint: {e}: {:?}", String::from_utf8_lossy(parsed.text())))?;
    if checkpoint.origin() != log_name {
        return Err(format!("origin {:?} differs from the log key name {log_name:?}", checkpoint.origin()));
    }
    Ok((checkpoint.size(), checkpoint.hash().0, witnesses))
}

/// A tile's C2SP path (`tile/<L>/<N>[.p/<W>]`, `tile/entries/<N>[.p/<W>]`),
/// from `tlog_tiles`'s own formatting, which has the height in it.
pub fn c2sp_tile_path(tile: &Tile) -> Result<String, String> {
    let path = tile.path();
    let parsed = Tile::from_path(&path).map_err(|e| e.to_string())?;
    if parsed != *tile {
        return Err(format!("tlog_tiles does not parse its own path {path}"));
    }
    let prefix = format!("tile/{}/", tile.height());
    let rest = path.strip_prefix(&prefix).ok_or_else(|| format!("unexpected tile path {path}"))?;
    Ok(match rest.strip_prefix("data/") {
        Some(index) => format!("tile/entries/{index}"),
        None => format!("tile/{rest}"),
    })
}

/// Fetched hash tiles, served to `tlog_tiles` as a `TileReader` (and as a
/// plain, unauthenticated `HashReader`).
struct FetchedTiles(HashMap<(u8, u64), (Tile, Vec<u8>)>);

impl TileReader for FetchedTiles {
    fn height(&self) -> u8 {
        TILE_HEIGHT
    }

    fn read_tiles(&self, tiles: &[Tile]) -> Result<Vec<Vec<u8>>, tlog_tiles::Error> {
        tiles
            .iter()
            .map(|tile| match self.0.get(&(tile.level(), tile.level_index())) {
                Some((fetched, data)) if fetched.width() >= tile.width() => {
                    Ok(data[..tile.width() as usize * 32].to_vec())
                }
                _ => Err(tlog_tiles::Error::InvalidInput(format!("tile {} was not fetched", tile.path()))),
            })
            .collect()
    }

    fn save_tiles(&self, _tiles: &[Tile], _data: &[Vec<u8>]) {}
}

impl HashReader for FetchedTiles {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<AzulHash>, tlog_tiles::Error> {
        indexes
            .iter()
            .map(|&index| {
                let wanted = Tile::from_index(TILE_HEIGHT, index);
                let (tile, data) = self
                    .0
                    .get(&(wanted.level(), wanted.level_index()))
                    .ok_or_else(|| tlog_tiles::Error::InvalidInput(format!("no tile for {}", wanted.path())))?;
                tile.hash_at_index(data, index)
            })
            .collect()
    }
}

async fn get(client: &reqwest::Client, url: &str) -> Result<Vec<u8>, String> {
    let response = client.get(url).send().await.map_err(|e| format!("GET {url}: {e}"))?;
    if !response.status().is_success() {
        return Err(format!("GET {url}: {}", response.status()));
    }
    if let Some(encoding) = response.headers().get(reqwest::header::CONTENT_ENCODING)
        && encoding.as_bytes() != b"identity"
    {
        return Err(format!("GET {url}: unrequested Content-Encoding {encoding:?}"));
    }
    Ok(response.bytes().await.map_err(|e| format!("GET {url}: {e}"))?.to_vec())
}

/// Splits an entry bundle: big-endian uint16 length-prefixed entries.
pub fn parse_entry_bundle(mut bundle: &[u8]) -> Result<Vec<Vec<u8>>, String> {
    let mut entries = Vec::new();
    while !bundle.is_empty() {
        let Some((length, rest)) = bundle.split_first_chunk::<2>() else {
            return Err("a truncated length prefix in an entry bundle".into());
        };
        let length = u16::from_be_bytes(*length) as usize;
        if rest.len() < length {
            return Err(format!("an entry of {length} bytes is cut off in an entry bundle"));
        }
        entries.push(rest[..length].to_vec());
        bundle = &rest[length..];
    }
    Ok(entries)
}

/// Checks a tiled log at `base_url` (`<base_url>/tlog/...`): its checkpoint
/// verifies with `log_vkey` (which must be the served `tlog/vkey`), the root
/// hash recomputed by `tlog_tiles` from the served tiles is the checkpoint's,
/// every tile is consistent with the tiles above it (`TileHashReader`), and
/// each entry in the entry bundles hashes to its level-0 tile hash. Returns
/// the checkpoint's size.
pub async fn azul_check_log(base_url: &str, log_vkey: &str) -> Result<u64, String> {
    let client = reqwest::Client::new();
    let base = format!("{}/tlog", base_url.trim_end_matches('/'));
    let served_vkey = get(&client, &format!("{base}/vkey")).await?;
    let served_vkey = String::from_utf8(served_vkey).map_err(|e| format!("tlog/vkey: {e}"))?;
    if served_vkey.trim() != log_vkey.trim() {
        return Err(format!("tlog/vkey serves {served_vkey:?}, expected {log_vkey:?}"));
    }
    let note = get(&client, &format!("{base}/checkpoint")).await?;
    let note = String::from_utf8(note).map_err(|e| format!("tlog/checkpoint: {e}"))?;
    let (size, root, _) = azul_open_checkpoint(&note, log_vkey, &[])?;
    let root = AzulHash(root);
    if size == 0 {
        return if root == tlog_tiles::EMPTY_HASH { Ok(0) } else { Err("an empty tree with a non-empty root".into()) };
    }

    // Every hash tile of the tree, full or partial, at its exact width.
    let mut fetched = HashMap::new();
    for tile in Tile::new_tiles(TILE_HEIGHT, 0, size) {
        let path = c2sp_tile_path(&tile)?;
        let data = get(&client, &format!("{base}/{path}")).await?;
        if data.len() != tile.width() as usize * 32 {
            return Err(format!("{path} has {} bytes, expected {}", data.len(), tile.width() * 32));
        }
        fetched.insert((tile.level(), tile.level_index()), (tile, data));
    }
    let tiles = FetchedTiles(fetched);

    // The root from the tiles alone, then authenticated tile by tile.
    let computed = tlog_tiles::tree_hash(size, &tiles).map_err(|e| format!("tlog_tiles tree_hash: {e}"))?;
    if computed != root {
        return Err(format!("the tiles give root {computed} for size {size}, the checkpoint says {root}"));
    }
    // Every full tile against its parent. TileHashReader should do this too,
    // but tlog_tiles 0.2 (like x/mod 0.7, which it ports) starts that loop at
    // `stx.len()`, the number of subtrees the root is made of, rather than at
    // the number of distinct tiles holding them: when several of those share
    // a tile, the first tiles fetched for an index are never checked (found
    // with a tree of 65,836 entries: a flipped leaf hash in tile/0/000 passed).
    for (tile, data) in tiles.0.values().filter(|(tile, _)| tile.width() == 1 << TILE_HEIGHT) {
        let path = c2sp_tile_path(tile)?;
        let wanted = tile.parent(1, size).ok_or_else(|| format!("{path} has no parent tile"))?;
        let (parent, parent_data) = tiles
            .0
            .get(&(wanted.level(), wanted.level_index()))
            .ok_or_else(|| format!("the parent of {path} was not fetched"))?;
        let index = tlog_tiles::stored_hash_index(parent.level() * TILE_HEIGHT, tile.level_index());
        let expected = parent.hash_at_index(parent_data, index).map_err(|e| format!("{path}'s parent: {e}"))?;
        if expected != Tile::subtree_hash(data) {
            return Err(format!("{path} does not hash to its entry in {}", c2sp_tile_path(parent)?));
        }
    }
    let reader = TileHashReader::new(size, root, &tiles);
    let authenticated =
        tlog_tiles::tree_hash(size, &reader).map_err(|e| format!("tlog_tiles tree_hash (TileHashReader): {e}"))?;
    if authenticated != root {
        return Err(format!("TileHashReader gives root {authenticated}, the checkpoint says {root}"));
    }
    let indexes: Vec<u64> = (0..size).map(|i| tlog_tiles::stored_hash_index(0, i)).collect();
    let leaves = reader.read_hashes(&indexes).map_err(|e| format!("tlog_tiles TileHashReader: {e}"))?;

    // Entry bundles: each entry's RFC 6962 leaf hash is its level-0 hash.
    for tile in Tile::new_tiles(TILE_HEIGHT, 0, size).into_iter().filter(|t| t.level() == 0) {
        let mut bundle = tile;
        bundle.set_is_data();
        let path = c2sp_tile_path(&bundle)?;
        let entries =
            parse_entry_bundle(&get(&client, &format!("{base}/{path}")).await?).map_err(|e| format!("{path}: {e}"))?;
        if entries.len() != tile.width() as usize {
            return Err(format!("{path} has {} entries, expected {}", entries.len(), tile.width()));
        }
        let start = tile.level_index() << TILE_HEIGHT;
        for (i, entry) in entries.iter().enumerate() {
            let index = start + i as u64;
            if tlog_tiles::record_hash(entry) != leaves[index as usize] {
                return Err(format!("entry {index} in {path} does not hash to its level-0 tile hash"));
            }
        }
    }
    Ok(size)
}

/// A parsed c2sp.org/tlog-proof@v1.
pub struct TlogProof {
    pub extra: Option<Vec<u8>>,
    pub index: u64,
    pub proof: Vec<[u8; 32]>,
    /// The checkpoint, verbatim with its signatures.
    pub checkpoint: String,
}

/// Parses a c2sp.org/tlog-proof@v1 text.
pub fn parse_tlog_proof(text: &str) -> Result<TlogProof, String> {
    let (head, checkpoint) = text.split_once("\n\n").ok_or("no blank line before the checkpoint")?;
    let mut lines = head.split('\n').peekable();
    if lines.next() != Some("c2sp.org/tlog-proof@v1") {
        return Err("the first line is not c2sp.org/tlog-proof@v1".into());
    }
    let extra = match lines.next_if(|l| l.starts_with("extra ")) {
        Some(line) => Some(STANDARD.decode(&line["extra ".len()..]).map_err(|e| format!("extra line: {e}"))?),
        None => None,
    };
    let index = lines.next().and_then(|l| l.strip_prefix("index ")).ok_or("no index line")?;
    let index = index
        .parse::<u64>()
        .ok()
        .filter(|i| i.to_string() == index)
        .ok_or_else(|| format!("malformed index {index:?}"))?;
    let proof = lines
        .map(|line| {
            STANDARD
                .decode(line)
                .ok()
                .and_then(|hash| <[u8; 32]>::try_from(hash).ok())
                .ok_or_else(|| format!("malformed proof hash {line:?}"))
        })
        .collect::<Result<_, _>>()?;
    Ok(TlogProof { extra, index, proof, checkpoint: checkpoint.to_owned() })
}

/// Checks a c2sp.org/tlog-proof@v1: the checkpoint verifies as in
/// [`azul_open_checkpoint`] and carries a verified cosignature by every one of
/// `witness_vkeys`, and `tlog_tiles::check_record` accepts the inclusion
/// proof of the `extra` bytes (the entry's exact bytes) at `index`.
pub fn azul_check_proof(proof: &str, log_vkey: &str, witness_vkeys: &[&str]) -> Result<(), String> {
    let parsed = parse_tlog_proof(proof)?;
    let entry = parsed.extra.ok_or("no extra line: the entry's bytes are needed for its leaf hash")?;
    let (size, root, witnesses) = azul_open_checkpoint(&parsed.checkpoint, log_vkey, witness_vkeys)?;
    if witnesses.len() != witness_vkeys.len() {
        return Err(format!(
            "{} witness keys given, cosignatures verified only for {witnesses:?}",
            witness_vkeys.len()
        ));
    }
    let proof: Vec<AzulHash> = parsed.proof.into_iter().map(AzulHash).collect();
    tlog_tiles::check_record(&proof, size, AzulHash(root), parsed.index, tlog_tiles::record_hash(&entry))
        .map_err(|e| format!("tlog_tiles check_record (index {}, size {size}): {e}", parsed.index))
}

/// Builds `tools/tlogcheck` (once per test process) and runs it with `args`:
/// `checkpoint VKEY_FILE CHECKPOINT_FILE [WITNESS_VKEY_FILE...]` or
/// `proof VKEY_FILE PROOF_FILE [WITNESS_VKEY_FILE...]`. Needs Debian's
/// golang-go and golang-golang-x-mod-dev.
pub fn go_tlogcheck(args: &[&str]) -> Output {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    let binary = BINARY.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("tlogcheck");
        let binary = dir.join("tlogcheck");
        let output = Command::new(Path::new(env!("CARGO_MANIFEST_DIR")).join("tools/tlogcheck/build"))
            .arg(&binary)
            .arg(dir.join("gocache"))
            .output()
            .expect("run tools/tlogcheck/build");
        assert!(
            output.status.success(),
            "building tlogcheck failed (apt-get install golang-go golang-golang-x-mod-dev?):\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        binary
    });
    Command::new(binary).args(args).output().expect("run tlogcheck")
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use tlog::signing::Signer;
    use tlog::{
        checkpoint::{Checkpoint, verifier_key},
        merkle::{MemoryTree, Subtrees, inclusion_proof, leaf_hash, root},
    };

    use super::*;

    const ORIGIN: &str = "registry.example/ledger";

    fn log_signer() -> Signer {
        Signer::from_seed(&[7u8; 32]).expect("key")
    }

    fn log_vkey() -> String {
        verifier_key(ORIGIN, log_signer().public_key())
    }

    /// A test witness: cosignature/v1 Ed25519 (neither azul crate has a
    /// cosigner; the line is formatted by `signed_note::Signature`).
    struct Witness {
        name: String,
        signer: Signer,
    }

    const TIME: u64 = 1_795_000_000;

    impl Witness {
        fn new(name: &str, seed: u8) -> Self {
            Self { name: name.into(), signer: Signer::from_seed(&[seed; 32]).expect("key") }
        }

        fn key(&self) -> Vec<u8> {
            let mut key = vec![COSIGNATURE_V1_TYPE];
            key.extend_from_slice(self.signer.public_key());
            key
        }

        fn vkey(&self) -> String {
            format!(
                "{}+{:08x}+{}",
                self.name,
                signed_note::key_id(&self.name, &self.key()),
                STANDARD.encode(self.key())
            )
        }

        /// A signature line claiming time `claimed` over the note text,
        /// signed as of `signed`.
        fn cosignature(&self, text: &[u8], claimed: u64, signed: u64) -> Vec<u8> {
            let mut message = format!("cosignature/v1\ntime {signed}\n").into_bytes();
            message.extend_from_slice(text);
            let mut sig = claimed.to_be_bytes().to_vec();
            sig.extend(self.signer.sign_raw(&message));
            let id = signed_note::key_id(&self.name, &self.key());
            signed_note::Signature::new(self.name.clone(), id, sig).expect("signature").to_bytes()
        }
    }

    /// Appends cosignatures (as of `TIME`) to a signed note.
    fn cosign(note: &str, witnesses: &[&Witness]) -> String {
        let text = Note::from_bytes(note.as_bytes()).expect("note").text().to_vec();
        let mut note = note.as_bytes().to_vec();
        for witness in witnesses {
            note.extend(witness.cosignature(&text, TIME, TIME));
        }
        String::from_utf8(note).expect("utf-8")
    }

    fn tree(size: u64) -> (MemoryTree, Vec<Vec<u8>>) {
        let entries: Vec<Vec<u8>> = (0..size).map(|i| format!("{{\"entry\":{i}}}").into_bytes()).collect();
        let mut tree = MemoryTree::new();
        for entry in &entries {
            tree.push(leaf_hash(entry));
        }
        (tree, entries)
    }

    fn signed_checkpoint(tree: &MemoryTree) -> String {
        let root = root(tree, tree.len()).expect("root");
        Checkpoint { origin: ORIGIN.into(), size: tree.len(), root }.sign(&log_signer())
    }

    fn tlog_proof(tree: &MemoryTree, entries: &[Vec<u8>], index: u64, note: &str) -> String {
        let mut text =
            format!("c2sp.org/tlog-proof@v1\nextra {}\nindex {index}\n", STANDARD.encode(&entries[index as usize]));
        for hash in inclusion_proof(tree, index, tree.len()).expect("proof") {
            text.push_str(&STANDARD.encode(hash));
            text.push('\n');
        }
        text.push('\n');
        text.push_str(note);
        text
    }

    /// Files for the Go checker in a fresh directory.
    fn files(name: &str, contents: &[(&str, &str)]) -> Vec<String> {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("interop").join(name);
        std::fs::create_dir_all(&dir).expect("mkdir");
        contents
            .iter()
            .map(|(file, text)| {
                let path = dir.join(file);
                std::fs::write(&path, text).expect("write");
                path.to_string_lossy().into_owned()
            })
            .collect()
    }

    fn go(args: &[&str]) -> Result<String, String> {
        let output = go_tlogcheck(args);
        if output.status.success() {
            Ok(String::from_utf8_lossy(&output.stdout).into_owned())
        } else {
            Err(String::from_utf8_lossy(&output.stderr).into_owned())
        }
    }

    #[test]
    fn checkpoints_open_with_signed_note_and_x_mod() {
        let (tree, _) = tree(1000);
        let root = root(&tree, 1000).expect("root");
        let note = signed_checkpoint(&tree);
        let vkey = log_vkey();
        assert_eq!(azul_open_checkpoint(&note, &vkey, &[]), Ok((1000, root, vec![])));

        let expected = format!("{ORIGIN} 1000 {}\n", STANDARD.encode(root));
        let paths = files("checkpoint", &[("vkey", &vkey), ("checkpoint", &note)]);
        assert_eq!(go(&["checkpoint", &paths[0], &paths[1]]), Ok(expected.clone()));

        // Tampering, another log key, a key named otherwise.
        let forged = note.replacen("\n1000\n", "\n1001\n", 1);
        assert!(azul_open_checkpoint(&forged, &vkey, &[]).is_err());
        let other = verifier_key(ORIGIN, Signer::from_seed(&[8u8; 32]).expect("key").public_key());
        let unsigned = azul_open_checkpoint(&note, &other, &[]).expect_err("another key");
        assert!(unsigned.contains("no verifiable signatures"), "{unsigned}");
        let renamed = verifier_key("registry.example/other", log_signer().public_key());
        assert!(azul_open_checkpoint(&note, &renamed, &[]).is_err());
        let paths = files("checkpoint-bad", &[("forged", &forged), ("other", &other)]);
        let forged_path = &paths[0];
        let other_path = &paths[1];
        let good = files("checkpoint", &[("vkey", &vkey)]);
        assert!(go(&["checkpoint", &good[0], forged_path]).is_err());
        assert!(go(&["checkpoint", other_path, &files("checkpoint", &[("checkpoint", &note)])[0]]).is_err());
        assert!(go(&["checkpoint", &good[0], &files("checkpoint-garbage", &[("c", "garbage\n")])[0]]).is_err());
    }

    #[test]
    fn witness_cosignatures_verify_and_unknown_ones_are_ignored() {
        let (tree, _) = tree(300);
        let root = root(&tree, 300).expect("root");
        let (one, two, stranger) = (
            Witness::new("witness1.example", 11),
            Witness::new("witness2.example", 12),
            Witness::new("w3.example", 13),
        );
        let note = cosign(&signed_checkpoint(&tree), &[&one, &two, &stranger]);
        assert_eq!(note.lines().filter(|l| l.starts_with("\u{2014} ")).count(), 4, "{note}");
        let vkey = log_vkey();
        let (wone, wtwo) = (one.vkey(), two.vkey());

        assert_eq!(azul_open_checkpoint(&note, &vkey, &[]), Ok((300, root, vec![])));
        assert_eq!(
            azul_open_checkpoint(&note, &vkey, &[&wone, &wtwo]),
            Ok((300, root, vec!["witness1.example".to_owned(), "witness2.example".to_owned()]))
        );
        // A witness key type 0x01 is not a cosignature key.
        assert!(CosignatureV1Verifier::new(&verifier_key("witness1.example", one.signer.public_key())).is_err());
        // A cosignature claiming another time than it was made for fails.
        let text = Note::from_bytes(note.as_bytes()).expect("note").text().to_vec();
        let bad = format!(
            "{}{}",
            signed_checkpoint(&tree),
            String::from_utf8(one.cosignature(&text, TIME, TIME + 1)).expect("utf-8")
        );
        assert!(azul_open_checkpoint(&bad, &vkey, &[&wone]).is_err());
        assert_eq!(azul_open_checkpoint(&bad, &vkey, &[]), Ok((300, root, vec![])));

        // x/mod: unknown cosignatures do not get in the way; known ones verify.
        let paths =
            files("cosigned", &[("vkey", &vkey), ("checkpoint", &note), ("w1", &wone), ("w2", &wtwo), ("bad", &bad)]);
        let line = format!("{ORIGIN} 300 {}\n", STANDARD.encode(root));
        assert_eq!(go(&["checkpoint", &paths[0], &paths[1]]), Ok(line.clone()));
        assert_eq!(
            go(&["checkpoint", &paths[0], &paths[1], &paths[2], &paths[3]]),
            Ok(format!("{line}cosigned-by witness1.example 1795000000\ncosigned-by witness2.example 1795000000\n"))
        );
        assert!(go(&["checkpoint", &paths[0], &paths[4], &paths[2]]).is_err());
    }

    #[test]
    fn tlog_proofs_check_with_tlog_tiles_and_x_mod() {
        let witness = Witness::new("witness1.example", 11);
        let wkey = witness.vkey();
        let vkey = log_vkey();
        for size in [1u64, 2, 3, 7, 8, 255, 256, 257, 1000] {
            let (tree, entries) = tree(size);
            let note = cosign(&signed_checkpoint(&tree), &[&witness]);
            for index in [0, size / 2, size - 1] {
                let proof = tlog_proof(&tree, &entries, index, &note);
                assert_eq!(azul_check_proof(&proof, &vkey, &[]), Ok(()), "{size} {index}\n{proof}");
                assert_eq!(azul_check_proof(&proof, &vkey, &[&wkey]), Ok(()), "{size} {index}");
                let paths = files("proof", &[("vkey", &vkey), ("proof", &proof), ("w", &wkey)]);
                let out = go(&["proof", &paths[0], &paths[1], &paths[2]]);
                assert!(out.as_ref().is_ok_and(|o| o.starts_with(&format!("{ORIGIN} {size} "))), "{out:?}\n{proof}");

                // Another entry's bytes, or a proof for another index, fail.
                let other = (index + 1) % size;
                let mut wrong = tlog_proof(&tree, &entries, index, &note);
                wrong = wrong.replacen(
                    &STANDARD.encode(&entries[index as usize]),
                    &STANDARD.encode(if size > 1 { &entries[other as usize][..] } else { b"x" }),
                    1,
                );
                assert!(azul_check_proof(&wrong, &vkey, &[]).is_err());
                let paths = files("proof-wrong", &[("vkey", &vkey), ("proof", &wrong)]);
                assert!(go(&["proof", &paths[0], &paths[1]]).is_err());
            }
        }
        // An unknown witness demanded: no cosignature, so the proof fails.
        let (tree, entries) = tree(5);
        let proof = tlog_proof(&tree, &entries, 3, &signed_checkpoint(&tree));
        assert!(azul_check_proof(&proof, &vkey, &[&wkey]).is_err());
        assert!(azul_check_proof(&proof.replace("index 3", "index 03"), &vkey, &[]).is_err());
    }

    #[test]
    fn tile_paths_follow_c2sp() {
        let cases = [
            (Tile::new(8, 0, 0, 256, false), "tile/0/000"),
            (Tile::new(8, 0, 1234067, 256, false), "tile/0/x001/x234/067"),
            (Tile::new(8, 1, 1, 17, false), "tile/1/001.p/17"),
            (Tile::new(8, 2, 1000, 1, false), "tile/2/x001/000.p/1"),
        ];
        for (tile, path) in cases {
            assert_eq!(c2sp_tile_path(&tile).as_deref(), Ok(path));
            let mut data = tile;
            data.set_is_data();
            if tile.level() == 0 {
                assert_eq!(c2sp_tile_path(&data), Ok(path.replace("tile/0/", "tile/entries/")));
            }
        }
        // The spec's example: a tree of 70,000 entries.
        let tiles = Tile::new_tiles(8, 0, 70_000);
        let partial: Vec<String> =
            tiles.iter().filter(|t| t.width() < 256).map(|t| c2sp_tile_path(t).expect("path")).collect();
        assert_eq!(partial, ["tile/0/273.p/112", "tile/1/001.p/17", "tile/2/000.p/1"]);
        assert_eq!(tiles.len(), 273 + 1 + 1 + 1 + 1);
    }

    /// A log's tlog/ files as our tree gives them.
    fn log_files(tree: &MemoryTree, entries: &[Vec<u8>]) -> HashMap<String, Vec<u8>> {
        let size = tree.len();
        let mut files = HashMap::new();
        files.insert("/tlog/vkey".to_owned(), format!("{}\n", log_vkey()).into_bytes());
        files.insert("/tlog/checkpoint".to_owned(), signed_checkpoint(tree).into_bytes());
        let mut level = 0u32;
        while size >> (8 * level) > 0 {
            let hashes = size >> (8 * level);
            for n in 0..hashes.div_ceil(256) {
                let width = (hashes - n * 256).min(256);
                let tile: Vec<u8> =
                    (0..width).flat_map(|i| tree.perfect(8 * level, n * 256 + i).expect("subtree")).collect();
                let path = c2sp_tile_path(&Tile::new(8, level as u8, n, width as u32, false)).expect("path");
                files.insert(format!("/tlog/{path}"), tile);
                if level == 0 {
                    let mut bundle = Vec::new();
                    for entry in &entries[(n * 256) as usize..(n * 256 + width) as usize] {
                        bundle.extend((entry.len() as u16).to_be_bytes());
                        bundle.extend(entry);
                    }
                    let path = c2sp_tile_path(&Tile::new(8, 0, n, width as u32, true)).expect("path");
                    files.insert(format!("/tlog/{path}"), bundle);
                }
            }
            level += 1;
        }
        files
    }

    async fn serve(files: HashMap<String, Vec<u8>>) -> String {
        let files = Arc::new(files);
        let app = axum::Router::new().fallback(move |uri: axum::http::Uri| {
            let files = files.clone();
            async move {
                match files.get(uri.path()) {
                    Some(body) => Ok(body.clone()),
                    None => Err(axum::http::StatusCode::NOT_FOUND),
                }
            }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move { axum::serve(listener, app).await });
        format!("http://{addr}")
    }

    #[tokio::test]
    async fn tiled_logs_check_with_tlog_tiles() {
        let vkey = log_vkey();
        for size in [1u64, 255, 256, 257, 65_536 + 300] {
            let (tree, entries) = tree(size);
            let files = log_files(&tree, &entries);
            let base = serve(files.clone()).await;
            assert_eq!(azul_check_log(&base, &vkey).await, Ok(size), "size {size}");

            // A flipped bit in a level-0 tile, a wrong entry, a missing tile.
            let mut bad = files.clone();
            let first = if size >= 256 { "/tlog/tile/0/000".to_owned() } else { format!("/tlog/tile/0/000.p/{size}") };
            bad.get_mut(&first).expect("tile")[5] ^= 1;
            let err = azul_check_log(&serve(bad).await, &vkey).await.expect_err("flipped bit");
            assert!(err.contains("root") || err.contains("does not hash to its entry"), "size {size}: {err}");
            let mut bad = files.clone();
            let bundle = bad.keys().find(|k| k.starts_with("/tlog/tile/entries/")).cloned().expect("bundle");
            let last = bad[&bundle].len() - 1;
            bad.get_mut(&bundle).expect("bundle")[last] ^= 1;
            let err = azul_check_log(&serve(bad).await, &vkey).await.expect_err("wrong entry");
            assert!(err.contains("does not hash"), "{err}");
            if size > 256 {
                let mut bad = files.clone();
                bad.retain(|path, _| !path.starts_with("/tlog/tile/1/"));
                assert!(azul_check_log(&serve(bad).await, &vkey).await.is_err());
            }
        }
    }
}
