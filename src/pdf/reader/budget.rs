//! The budget: what has been spent of each limit.

use std::time::Instant;

use super::{Limits, MAX_DEPTH, ReadError, Result, STEPS_PER_CLOCK_READ, too_large};

pub(super) struct Budget {
    pub(super) limits: Limits,
    deadline: Option<Instant>,
    steps: u32,
    objects: usize,
    pub(super) parsed: usize,
    pub(super) decompressed: usize,
    xref_entries: usize,
    index_pairs: usize,
}

impl Budget {
    pub(super) fn new(limits: &Limits) -> Self {
        Self {
            limits: Limits { depth: limits.depth.min(MAX_DEPTH), ..limits.clone() },
            // A time too far ahead to represent is no deadline.
            deadline: Instant::now().checked_add(limits.time),
            steps: 0,
            objects: 0,
            parsed: 0,
            decompressed: 0,
            xref_entries: 0,
            index_pairs: 0,
        }
    }

    /// One small step of work.
    pub(super) fn step(&mut self) -> Result<()> {
        self.steps = self.steps.wrapping_add(1);
        if self.steps.is_multiple_of(STEPS_PER_CLOCK_READ) { self.check_clock() } else { Ok(()) }
    }

    pub(super) fn check_clock(&self) -> Result<()> {
        match self.deadline {
            Some(deadline) if Instant::now() >= deadline => Err(ReadError::TimedOut(self.limits.time)),
            _ => Ok(()),
        }
    }

    /// One more parsed object, held in memory at up to ~150 bytes, which is why fewer objects may be parsed than
    /// cross-reference entries (~30 bytes) kept.
    pub(super) fn object(&mut self) -> Result<()> {
        self.step()?;
        charge(&mut self.objects, 1, self.limits.objects / 10, "objects")
    }

    pub(super) fn xref_entries(&mut self, count: usize) -> Result<()> {
        charge(&mut self.xref_entries, count, self.limits.objects, "cross-reference entries")
    }

    pub(super) fn index_pair(&mut self) -> Result<()> {
        self.step()?;
        charge(&mut self.index_pairs, 1, self.limits.object_stream_entries, "object stream index")
    }

    pub(super) fn parse_room(&self) -> usize {
        self.limits.input.saturating_sub(self.parsed)
    }

    pub(super) fn parsed_too_much(&self) -> ReadError {
        too_large("parsed bytes", self.limits.input)
    }

    pub(super) fn decode_room(&self) -> usize {
        self.limits.decompressed.saturating_sub(self.decompressed)
    }
}

fn charge(used: &mut usize, amount: usize, limit: usize, what: &'static str) -> Result<()> {
    match used.checked_add(amount) {
        Some(total) if total <= limit => {
            *used = total;
            Ok(())
        }
        _ => Err(too_large(what, limit)),
    }
}
