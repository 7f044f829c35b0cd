//! Anchoring checkpoints to an external blockchain: each new checkpoint's
//! tree size and root hash are published in the data of a transaction on an
//! EVM-compatible chain, so that rewriting the log would also mean
//! rewriting that chain.
//!
//! The transaction data is `b"dataip:"` ‖ tree size (8 bytes, big-endian) ‖
//! root hash (32 bytes); the transaction is sent by the configured account
//! to itself, with no value.

use std::future::Future;

use alloy::{
    network::TransactionBuilder,
    primitives::{Address, Bytes},
    providers::{DynProvider, Provider, ProviderBuilder},
    rpc::types::TransactionRequest,
    signers::local::PrivateKeySigner,
};
use anyhow::Context;

use crate::config::AnchorConfig;
use tlog::merkle::Hash;

pub const MAGIC: &[u8] = b"dataip:";

/// Where a checkpoint was published.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    pub tx_hash: String,
    pub block_number: u64,
}

/// Publishes checkpoints somewhere that the registry cannot rewrite.
pub trait Anchor: Send + Sync {
    fn publish(&self, size: u64, root: &Hash) -> impl Future<Output = anyhow::Result<Published>> + Send;
}

/// The anchoring transaction's data.
pub fn anchor_data(size: u64, root: &Hash) -> Vec<u8> {
    let mut data = MAGIC.to_vec();
    data.extend_from_slice(&size.to_be_bytes());
    data.extend_from_slice(root);
    data
}

/// Reads anchoring data back: the tree size and root it names.
pub fn parse_anchor_data(data: &[u8]) -> Option<(u64, Hash)> {
    let rest = data.strip_prefix(MAGIC)?;
    if rest.len() != 40 {
        return None;
    }
    let size = u64::from_be_bytes(rest[..8].try_into().ok()?);
    Some((size, rest[8..].try_into().ok()?))
}

/// An EVM chain reached over JSON-RPC.
pub struct EvmAnchor {
    provider: DynProvider,
    account: Address,
    chain_id: u64,
}

impl EvmAnchor {
    pub fn new(config: &AnchorConfig) -> anyhow::Result<Self> {
        let signer: PrivateKeySigner =
            config.signer_key.expose().trim().parse().context("anchor.signer_key is not a hex private key")?;
        let account = signer.address();
        let url = config.rpc_url.parse().context("anchor.rpc_url is not a URL")?;
        let provider = ProviderBuilder::new().wallet(signer).connect_http(url).erased();
        Ok(Self { provider, account, chain_id: config.chain_id })
    }

    pub fn account(&self) -> Address {
        self.account
    }
}

impl Anchor for EvmAnchor {
    async fn publish(&self, size: u64, root: &Hash) -> anyhow::Result<Published> {
        let chain = self.provider.get_chain_id().await.context("the chain does not answer")?;
        anyhow::ensure!(chain == self.chain_id, "the RPC serves chain {chain}, not the configured {}", self.chain_id);
        let request = TransactionRequest::default()
            .with_from(self.account)
            .with_to(self.account)
            .with_chain_id(self.chain_id)
            .with_input(Bytes::from(anchor_data(size, root)));
        let pending = self.provider.send_transaction(request).await.context("the transaction was refused")?;
        let receipt = pending.get_receipt().await.context("no receipt for the transaction")?;
        anyhow::ensure!(receipt.status(), "the transaction failed on chain");
        Ok(Published {
            tx_hash: format!("{:#x}", receipt.transaction_hash),
            block_number: receipt.block_number.context("the receipt names no block")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anchor_data_round_trips() {
        let data = anchor_data(1234, &[9u8; 32]);
        assert_eq!(data.len(), 47);
        assert_eq!(parse_anchor_data(&data), Some((1234, [9u8; 32])));
        assert_eq!(parse_anchor_data(b"other data"), None);
    }
}
