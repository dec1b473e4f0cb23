//! The Python names a pickle refers to, so that a PyTorch file naming anything but tensors is
//! refused. Not a reader: `pytorch-reader` reads the file (and never executes anything); it
//! hands back only the tensors and silently drops objects it does not interpret, such as an
//! `os.system` call. This walks the opcodes (their argument sizes, from CPython's
//! `pickletools`) and lists every global a call or object could come from.

/// What `torch.save(model.state_dict())` and a checkpoint dict of plain values refer to.
fn allowed(module: &str, name: &str) -> bool {
    matches!(
        (module, name),
        ("collections", "OrderedDict") | ("torch._utils", "_rebuild_tensor_v2" | "_rebuild_parameter")
    ) || (module == "torch" && name.ends_with("Storage") && name.chars().all(|c| c.is_ascii_alphanumeric()))
}

/// How an opcode's argument is laid out.
enum Arg {
    None,
    Fixed(usize),
    /// A little-endian length of this many bytes, then that many bytes.
    Sized(usize),
    /// Text lines ending in `\n`.
    Lines(usize),
}

fn arg(op: u8) -> Option<Arg> {
    use Arg::*;
    Some(match op {
        // Protocol 0 and 1.
        b'I' | b'L' | b'F' | b'S' | b'V' | b'P' | b'g' | b'p' => Lines(1),
        b'c' | b'i' => Lines(2),
        b'J' | b'j' | b'r' => Fixed(4),
        b'K' | b'h' | b'q' => Fixed(1),
        b'M' => Fixed(2),
        b'G' => Fixed(8),
        b'T' | b'X' => Sized(4),
        b'U' => Sized(1),
        b'N' | b']' | b'a' | b'e' | b'(' | b')' | b't' | b'}' | b's' | b'u' | b'R' | b'b' | b'o' | b'Q' | b'0'
        | b'1' | b'2' | b'.' => None,
        // Protocol 2 and 3.
        0x80 | 0x82 => Fixed(1),
        0x83 => Fixed(2),
        0x84 => Fixed(4),
        0x81 | 0x85..=0x89 => None,
        0x8a | b'C' => Sized(1),
        0x8b | b'B' => Sized(4),
        // Protocol 4 and 5.
        0x8c => Sized(1),
        0x8d | 0x8e | 0x96 => Sized(8),
        0x95 => Fixed(8),
        0x8f..=0x94 | 0x97 | 0x98 => None,
        _ => return Option::None,
    })
}

/// Checks every global the pickle names; the first one outside [`allowed`], or any way of
/// reaching a global that cannot be checked here (the copyreg extension registry, a global
/// whose names are not spelled out right before it), is the error.
pub fn check(pickle: &[u8]) -> Result<(), String> {
    let mut at = 0;
    // The last two strings pushed (for protocol 4's STACK_GLOBAL, which takes its names from
    // the stack); anything else pushed in between forgets them.
    let mut strings: Vec<String> = Vec::new();
    let take = |at: &mut usize, n: usize| -> Result<&[u8], String> {
        let end = at.checked_add(n).filter(|&end| end <= pickle.len()).ok_or("the pickle ends in the middle of an opcode")?;
        let bytes = &pickle[*at..end];
        *at = end;
        Ok(bytes)
    };
    loop {
        let op = *take(&mut at, 1)?.first().unwrap();
        let Some(layout) = arg(op) else {
            return Err(format!("the pickle holds an unknown opcode 0x{op:02x}"));
        };
        let mut text = Vec::new();
        match layout {
            Arg::None => {}
            Arg::Fixed(n) => {
                take(&mut at, n)?;
            }
            Arg::Sized(n) => {
                let len = take(&mut at, n)?.iter().rev().fold(0u64, |acc, b| acc << 8 | *b as u64);
                let len = usize::try_from(len).map_err(|_| "the pickle declares an impossible length")?;
                let bytes = take(&mut at, len)?;
                if matches!(op, b'X' | 0x8c | 0x8d) {
                    text.push(String::from_utf8_lossy(bytes).into_owned());
                }
            }
            Arg::Lines(n) => {
                for _ in 0..n {
                    let end = pickle[at..].iter().position(|&b| b == b'\n').ok_or("the pickle ends in the middle of a line")?;
                    text.push(String::from_utf8_lossy(&pickle[at..at + end]).into_owned());
                    at += end + 1;
                }
            }
        }
        match op {
            b'c' | b'i' => named(&text[0], &text[1])?,
            0x93 => match strings.as_slice() {
                [.., module, name] => named(module, name)?,
                _ => return Err("the pickle builds a global from names it does not spell out".into()),
            },
            0x82..=0x84 => return Err("the pickle refers to a global through the extension registry".into()),
            b'.' => return Ok(()),
            _ => {}
        }
        match op {
            b'X' | 0x8c | 0x8d => strings.extend(text),
            // Memoizing a string leaves it on the stack.
            0x94 | b'q' | b'r' | b'p' => {}
            _ => strings.clear(),
        }
    }
}

fn named(module: &str, name: &str) -> Result<(), String> {
    if allowed(module, name) {
        Ok(())
    } else {
        Err(format!("the pickle refers to {module}.{name}, which is not part of a PyTorch state dict (nothing was run)"))
    }
}

#[cfg(test)]
mod tests {
    use super::check;

    /// `torch.save({"w": torch.zeros(1)}, protocol 2)`'s shape, cut down: PROTO 2, GLOBAL
    /// OrderedDict, EMPTY_TUPLE, REDUCE, STOP.
    #[test]
    fn a_state_dict_passes_and_anything_else_is_named() {
        assert_eq!(check(b"\x80\x02ccollections\nOrderedDict\n)R."), Ok(()));
        let evil = check(b"\x80\x02cposix\nsystem\nX\x02\x00\x00\x00ls\x85R.").unwrap_err();
        assert!(evil.contains("posix.system"), "{evil}");
        // Protocol 4 spells the names as strings, then STACK_GLOBAL.
        let p4 = check(b"\x80\x04\x8c\x02os\x94\x8c\x06system\x94\x93.").unwrap_err();
        assert!(p4.contains("os.system"), "{p4}");
        assert_eq!(check(b"\x80\x04\x8c\x0bcollections\x94\x8c\x0bOrderedDict\x94\x93)R."), Ok(()));
        // A global whose names come from the memo is not checked, so it is refused.
        assert!(check(b"\x80\x04\x8c\x02os\x94h\x00\x8c\x06system\x93.").is_err());
        assert!(check(b"\x80\x02\x82\x01.").unwrap_err().contains("extension registry"));
        assert!(check(b"\x80\x02X\xff\x00\x00\x00ab").unwrap_err().contains("ends"));
        assert!(check(b"\x80\x02\xff.").unwrap_err().contains("0xff"));
        // A length that would overflow: refused, not a panic.
        assert!(check(b"\x80\x04\x8d\xff\xff\xff\xff\xff\xff\xff\xffab.").unwrap_err().contains("ends"));
    }
}
