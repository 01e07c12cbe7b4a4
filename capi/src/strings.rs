//! The memory of owned strings (`char **` out-parameters, freed with carto_string_free).
//!
//! The promise to C: freeing a string twice, or freeing a stale pointer, never frees another
//! string, not even a newer one at the same address. malloc reuses addresses, so that needs
//! addresses that are never handed out twice; remembering every freed address (as this once
//! did) grew by ~20 bytes per string forever (+190 MB after 10 million strings).
//!
//! On Unix, strings are instead laid out one after the other in address space reserved for
//! them (an anonymous `PROT_NONE` mapping, made readable and writable as it is used). An
//! address is never used twice; a page whose strings are all freed is given back to the system
//! (`MADV_DONTNEED`) while its addresses stay reserved, and a full 1 GiB region whose strings
//! are all freed is replaced by a fresh inaccessible mapping (its page tables go too). Memory
//! is the live strings (at most one page for each long-lived one, one region's page tables for
//! each region holding one) and a table of the live ones; address space is used up at 16 bytes
//! per string ever made (2^47 bytes last 8 * 10^12 strings), reserved 1 GiB at a time. A freed
//! string is wiped at once (tokens pass through here): a stale pointer reads zeros or faults,
//! never another string. Elsewhere, or when no address space can be reserved, the old scheme
//! runs: malloc'd buffers and a set of every retired address.

use std::collections::{HashMap, HashSet};
use std::sync::{LazyLock, Mutex, PoisonError};

/// Strings start at multiples of this.
const ALIGN: usize = 16;

static STRINGS: LazyLock<Mutex<Strings>> = LazyLock::new(|| Mutex::new(Strings::new()));

/// Copies `bytes` (which end with a NUL) to memory of its own and returns its address.
pub(crate) fn hand_out(bytes: &[u8]) -> *mut u8 {
    STRINGS
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .hand_out(bytes)
}

/// Wipes and releases the string at `address` if it is a live one; anything else is ignored.
/// Returns whether it was one.
pub(crate) fn take_back(address: usize) -> bool {
    STRINGS
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .take_back(address)
}

/// Bytes of memory the live strings and their bookkeeping hold (for tests).
#[cfg(test)]
pub(crate) fn footprint() -> usize {
    STRINGS
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .footprint()
}

struct Strings {
    #[cfg(unix)]
    reserved: Option<reserved::Reserved>,
    fallback: Fallback,
}

impl Strings {
    fn new() -> Self {
        Strings {
            #[cfg(unix)]
            reserved: reserved::Reserved::new(),
            fallback: Fallback::default(),
        }
    }

    fn hand_out(&mut self, bytes: &[u8]) -> *mut u8 {
        #[cfg(unix)]
        if let Some(reserved) = &mut self.reserved {
            if let Some(address) = reserved.hand_out(bytes) {
                return address;
            }
            // Out of address space (a 32-bit process): the rest go through malloc.
        }
        self.fallback.hand_out(bytes)
    }

    fn take_back(&mut self, address: usize) -> bool {
        #[cfg(unix)]
        if let Some(reserved) = &mut self.reserved {
            if reserved.take_back(address) {
                return true;
            }
        }
        self.fallback.take_back(address)
    }

    #[cfg(test)]
    fn footprint(&self) -> usize {
        #[cfg(unix)]
        let reserved = self
            .reserved
            .as_ref()
            .map_or(0, reserved::Reserved::footprint);
        #[cfg(not(unix))]
        let reserved = 0;
        reserved + self.fallback.footprint()
    }
}

/// malloc'd buffers, each address handed out at most once: a new string whose buffer starts at
/// a retired address is placed a few bytes further into its (slightly larger) buffer, and a
/// buffer with no fresh position left is kept aside as a spacer. The retired set grows by an
/// address per string ever freed.
#[derive(Default)]
struct Fallback {
    live: HashMap<usize, Vec<u8>>,
    retired: HashSet<usize>,
    spacers: Vec<Vec<u8>>,
}

/// How many start positions inside one buffer are tried before it becomes a spacer.
const START_POSITIONS: usize = 16;

impl Fallback {
    fn hand_out(&mut self, bytes: &[u8]) -> *mut u8 {
        loop {
            let mut buffer = vec![0u8; START_POSITIONS + bytes.len()];
            let base = buffer.as_ptr() as usize;
            let fresh = (0..START_POSITIONS).find(|offset| {
                !self.retired.contains(&(base + offset))
                    && !self.live.contains_key(&(base + offset))
            });
            let Some(offset) = fresh else {
                self.spacers.push(buffer);
                continue;
            };
            buffer[offset..offset + bytes.len()].copy_from_slice(bytes);
            let address = buffer[offset..].as_mut_ptr();
            self.live.insert(address as usize, buffer);
            return address;
        }
    }

    fn take_back(&mut self, address: usize) -> bool {
        let Some(buffer) = self.live.remove(&address) else {
            return false;
        };
        self.retired.insert(address);
        zeroize::Zeroize::zeroize(&mut { buffer });
        true
    }

    #[cfg(test)]
    fn footprint(&self) -> usize {
        self.live.values().map(Vec::capacity).sum::<usize>()
            + self.retired.capacity() * 8
            + self.spacers.iter().map(Vec::capacity).sum::<usize>()
    }
}

#[cfg(unix)]
mod reserved {
    //! Strings in reserved address space (see the module above).

    use super::ALIGN;
    use std::collections::{BTreeMap, HashMap};

    /// Address space reserved at a time; smaller reservations are tried when it cannot be had.
    const REGION_SIZES: [usize; 3] = [1 << 30, 64 << 20, 4 << 20];
    /// Address space made readable and writable at a time, ahead of the strings.
    const COMMIT_STEP: usize = 64 << 10;

    struct Region {
        base: usize,
        len: usize,
        /// Where the next string goes (offset from `base`).
        next: usize,
        /// How far the region is readable and writable (offset from `base`).
        committed: usize,
    }

    pub(super) struct Reserved {
        page: usize,
        current: Region,
        /// Live strings: address -> bytes taken (a multiple of ALIGN).
        live: HashMap<usize, usize>,
        /// Pages that hold live strings: page address -> how many.
        pages: HashMap<usize, u32>,
        /// Full regions that still hold live strings: base -> (length, how many). The last
        /// string freed there gives the whole region back (see [`retire`]).
        full: BTreeMap<usize, (usize, usize)>,
        /// Live strings in the current region.
        current_live: usize,
    }

    impl Reserved {
        pub(super) fn new() -> Option<Reserved> {
            // SAFETY: sysconf has no preconditions.
            let page = usize::try_from(unsafe { libc::sysconf(libc::_SC_PAGESIZE) }).ok()?;
            if page == 0 || !page.is_power_of_two() {
                return None;
            }
            Some(Reserved {
                page,
                current: reserve(page, 0)?,
                live: HashMap::new(),
                pages: HashMap::new(),
                full: BTreeMap::new(),
                current_live: 0,
            })
        }

        pub(super) fn hand_out(&mut self, bytes: &[u8]) -> Option<*mut u8> {
            let size = bytes.len().div_ceil(ALIGN).max(1) * ALIGN;
            if self.current.next + size > self.current.len {
                let old = std::mem::replace(&mut self.current, reserve(self.page, size)?);
                let live = std::mem::take(&mut self.current_live);
                if live == 0 {
                    retire(old.base, old.len);
                } else {
                    // Its last page may hold no live string: nothing will be put there.
                    let last = page_of(old.base + old.next.saturating_sub(1), self.page);
                    if old.next > 0 && !self.pages.contains_key(&last) {
                        release(last, self.page);
                    }
                    self.full.insert(old.base, (old.len, live));
                }
            }
            let region = &mut self.current;
            if region.next + size > region.committed {
                let to = (region.next + size)
                    .div_ceil(COMMIT_STEP)
                    .saturating_mul(COMMIT_STEP)
                    .min(region.len);
                let from = region.base + region.committed;
                // SAFETY: [from, base + to) lies inside the region this module mapped and never
                // unmaps; making it readable and writable affects nothing else.
                let done = unsafe {
                    libc::mprotect(
                        from as *mut libc::c_void,
                        to - region.committed,
                        libc::PROT_READ | libc::PROT_WRITE,
                    )
                };
                if done != 0 {
                    return None;
                }
                region.committed = to;
            }
            let address = region.base + region.next;
            // SAFETY: [address, address + size) is committed memory of our region that no live
            // string uses (the bump pointer only moves forward), and `bytes.len() <= size`.
            unsafe {
                std::ptr::copy_nonoverlapping(bytes.as_ptr(), address as *mut u8, bytes.len())
            };
            region.next += size;
            // Every page the string touches holds it; the bump pointer only ever leaves a page
            // through a string that starts on it, so no page is left behind empty.
            for page in pages(address, size, self.page) {
                *self.pages.entry(page).or_insert(0) += 1;
            }
            self.live.insert(address, size);
            self.current_live += 1;
            Some(address as *mut u8)
        }

        pub(super) fn take_back(&mut self, address: usize) -> bool {
            let Some(size) = self.live.remove(&address) else {
                return false;
            };
            // SAFETY: a live string's bytes are committed memory of our regions.
            unsafe { std::ptr::write_bytes(address as *mut u8, 0, size) };
            let frontier = page_of(self.current.base + self.current.next, self.page);
            let in_current =
                (self.current.base..self.current.base + self.current.len).contains(&address);
            for page in pages(address, size, self.page) {
                let Some(count) = self.pages.get_mut(&page) else {
                    continue;
                };
                *count -= 1;
                if *count > 0 {
                    continue;
                }
                self.pages.remove(&page);
                // The page the next string goes to stays until the bump pointer leaves it.
                if !(in_current && page >= frontier) {
                    release(page, self.page);
                }
            }
            if in_current {
                self.current_live -= 1;
            } else if let Some((&base, (len, live))) = self.full.range_mut(..=address).next_back() {
                *live -= 1;
                if *live == 0 {
                    let len = *len;
                    self.full.remove(&base);
                    retire(base, len);
                }
            }
            true
        }

        #[cfg(test)]
        pub(super) fn footprint(&self) -> usize {
            let resident_pages = self.pages.len() + self.current.committed.div_ceil(self.page)
                - self.current.next / self.page;
            resident_pages * self.page + (self.live.capacity() + self.pages.capacity()) * 24
        }
    }

    fn page_of(address: usize, page: usize) -> usize {
        address & !(page - 1)
    }

    /// The pages `[address, address + size)` touches.
    fn pages(address: usize, size: usize, page: usize) -> impl Iterator<Item = usize> {
        let first = page_of(address, page);
        let last = page_of(address + size - 1, page);
        (first..=last).step_by(page)
    }

    /// Reserves a region large enough for `at_least` bytes; `None` when no address space is
    /// left.
    fn reserve(page: usize, at_least: usize) -> Option<Region> {
        REGION_SIZES.iter().find_map(|&size| {
            let len = size.max(at_least.div_ceil(page).saturating_mul(page));
            // SAFETY: an anonymous private mapping at an address of the kernel's choice; it
            // touches no existing memory.
            let base = unsafe {
                libc::mmap(
                    std::ptr::null_mut(),
                    len,
                    libc::PROT_NONE,
                    libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | map_noreserve(),
                    -1,
                    0,
                )
            };
            (base != libc::MAP_FAILED).then_some(Region {
                base: base as usize,
                len,
                next: 0,
                committed: 0,
            })
        })
    }

    #[cfg(any(target_os = "linux", target_os = "android"))]
    fn map_noreserve() -> libc::c_int {
        libc::MAP_NORESERVE
    }

    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    fn map_noreserve() -> libc::c_int {
        0
    }

    /// Gives a whole region back to the system, its page tables too (which MADV_DONTNEED
    /// keeps: ~4 KiB per 2 MiB of strings ever made), by mapping fresh inaccessible memory over
    /// it: the addresses stay reserved, so none is handed out again; a stale pointer there
    /// faults instead of reading zeros, as it would after free().
    fn retire(base: usize, len: usize) {
        // SAFETY: [base, base + len) is one of our regions and holds no live string; MAP_FIXED
        // replaces exactly that mapping, which nobody else uses.
        unsafe {
            libc::mmap(
                base as *mut libc::c_void,
                len,
                libc::PROT_NONE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED | map_noreserve(),
                -1,
                0,
            );
        }
    }

    /// Gives a page's memory back to the system; its addresses stay reserved, so none is
    /// handed out again, and read as zeros (a stale pointer reads an empty string).
    fn release(page_address: usize, page: usize) {
        // SAFETY: the page lies in one of our regions and holds no live string; dropping its
        // contents affects no memory anyone may use.
        unsafe {
            libc::madvise(page_address as *mut libc::c_void, page, libc::MADV_DONTNEED);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(address: *const u8, len: usize) -> Vec<u8> {
        // SAFETY: a live string of at least `len` bytes.
        unsafe { std::slice::from_raw_parts(address, len) }.to_vec()
    }

    #[test]
    fn strings_read_back_and_are_wiped_when_freed() {
        let keep = hand_out(b"neighbour\0");
        let token = hand_out(b"t0ken-s3cret\0");
        assert_eq!(read(token, 13), b"t0ken-s3cret\0");
        assert!(take_back(token as usize));
        // Nothing of the token is left (whether or not its page went back to the system).
        assert_eq!(read(token, 13), [0u8; 13]);
        assert!(!take_back(token as usize), "freed twice");
        assert!(!take_back(0) && !take_back(keep as usize + 1));
        assert_eq!(read(keep, 10), b"neighbour\0");
        assert!(take_back(keep as usize));
    }

    #[test]
    fn no_address_is_handed_out_twice_and_memory_stays_bounded() {
        let baseline = footprint();
        let mut first = Vec::new();
        let long_lived = hand_out(b"kept all along\0");
        for i in 0..1_000_000usize {
            let text = format!("string number {i}\0");
            let address = hand_out(text.as_bytes());
            if i < 1000 {
                first.push(address as usize);
            }
            assert!(take_back(address as usize));
        }
        // A stale pointer of the first strings is never a live string again.
        for &stale in &first {
            assert!(!take_back(stale), "a stale pointer freed something");
        }
        let unique: HashSet<usize> = first.iter().copied().collect();
        assert_eq!(unique.len(), first.len());
        let grown = footprint().saturating_sub(baseline);
        assert!(grown < 1 << 20, "{grown} bytes after a million strings");
        assert_eq!(read(long_lived, 15), b"kept all along\0");
        assert!(take_back(long_lived as usize));
    }

    /// The process's page tables, in KiB (Linux).
    #[cfg(target_os = "linux")]
    fn page_tables_kib() -> usize {
        let status = std::fs::read_to_string("/proc/self/status").unwrap();
        let line = status.lines().find(|l| l.starts_with("VmPTE:")).unwrap();
        line.split_whitespace().nth(1).unwrap().parse().unwrap()
    }

    #[test]
    #[cfg(target_os = "linux")]
    fn a_region_whose_strings_are_all_freed_gives_its_page_tables_back() {
        // 1.1 GiB of strings, one at a time: the first 1 GiB region fills and empties. Its
        // pages went back one by one, but their page tables (~2 MiB for 1 GiB) stay unless the
        // region itself is given back.
        let mut strings = reserved::Reserved::new().unwrap();
        let before = page_tables_kib();
        let text = [b'p'; 4095];
        let mut text = text.to_vec();
        text.push(0);
        for _ in 0..(1_100usize << 20) / text.len() {
            let address = strings.hand_out(&text).unwrap();
            assert!(strings.take_back(address as usize));
        }
        let grown = page_tables_kib().saturating_sub(before);
        assert!(grown < 1024, "page tables grew by {grown} KiB");
    }

    #[test]
    fn strings_larger_than_a_region_step_and_the_fallback_work() {
        let big = vec![b'x'; 5 << 20];
        let address = hand_out(&[&big[..], b"\0"].concat());
        assert_eq!(read(address, 8), b"xxxxxxxx");
        assert!(take_back(address as usize));
        let mut fallback = Fallback::default();
        let a = fallback.hand_out(b"abc\0");
        assert!(fallback.take_back(a as usize));
        assert!(!fallback.take_back(a as usize));
        let b = fallback.hand_out(b"abc\0");
        assert_ne!(a, b);
    }
}
