;; The codec's two byte loops as 128-bit WebAssembly SIMD: unmasking and UTF-8 validation.
;;
;; Written by hand; scripts/generate-kernel.mjs assembles it into src/simd/kernel-module.ts (the bytes the
;; codec embeds), and test/wasm-kernel.test.ts fails when the two differ. The caller (src/simd/wasm-kernels.ts)
;; copies the bytes into this module's memory, calls one function, and copies the result back out: the
;; payload lives in the caller's ArrayBuffer, which WebAssembly cannot address.

(module
  ;; Empty until the first call: the caller grows it to what a piece needs, up to its own cap.
  (memory (export "memory") 0)

  ;; mask(at, length, key): XORs memory[at .. at + length) with `key` repeated, 64 bytes per iteration.
  ;; `length` is a multiple of 64 (the caller rounds up: the extra bytes are scratch nobody reads) and
  ;; `key` is the 4 mask bytes in memory order (little-endian), already rotated for the payload offset.
  (func (export "mask") (param $at i32) (param $length i32) (param $key i32)
    (local $end i32)
    (local $k v128)
    (local.set $k (i32x4.splat (local.get $key)))
    (local.set $end (i32.add (local.get $at) (local.get $length)))
    (block $done
      (br_if $done (i32.ge_u (local.get $at) (local.get $end)))
      (loop $next
        (v128.store offset=0 (local.get $at) (v128.xor (v128.load offset=0 (local.get $at)) (local.get $k)))
        (v128.store offset=16 (local.get $at) (v128.xor (v128.load offset=16 (local.get $at)) (local.get $k)))
        (v128.store offset=32 (local.get $at) (v128.xor (v128.load offset=32 (local.get $at)) (local.get $k)))
        (v128.store offset=48 (local.get $at) (v128.xor (v128.load offset=48 (local.get $at)) (local.get $k)))
        (local.set $at (i32.add (local.get $at) (i32.const 64)))
        (br_if $next (i32.lt_u (local.get $at) (local.get $end))))))

  ;; utf8(at, length) -> 1 when memory[at .. at + length) is complete, strict UTF-8 (RFC 3629), else 0.
  ;; The caller zero-fills from `at + length` up to the next multiple of 16 (zeros are ASCII: they make
  ;; a sequence cut off at the end fail like any other short sequence).
  ;;
  ;; Every error UTF-8 can have shows in a window of at most four bytes. Each byte is checked against
  ;; the byte before it with three 16-entry lookups (high nibble of the previous byte, its low nibble,
  ;; high nibble of this byte) ANDed together: each bit of the result is one kind of error, present when
  ;; all three nibbles allow it. Bit 0x80 is different: it says "a continuation byte follows a
  ;; continuation byte", which is right exactly where the byte two back starts a 3- or 4-byte sequence
  ;; or the byte three back starts a 4-byte one, so that bit is XORed with where it is required.
  ;;
  ;;   0x01  too short: a lead byte (C0-FF) not followed by a continuation (80-BF)
  ;;   0x02  too long: a continuation right after an ASCII byte
  ;;   0x04  overlong 3-byte form: E0 then 80-9F
  ;;   0x08  above U+10FFFF: F4 then 90-BF, or F5-FF then 90-BF
  ;;   0x10  surrogate: ED then A0-BF
  ;;   0x20  overlong 2-byte form: C0 or C1 then a continuation
  ;;   0x40  overlong 4-byte form or above U+10FFFF: F0 then 80-8F, or F5-FF then 80-8F
  ;;   0x80  a continuation after a continuation
  ;;
  ;; A block of 64 ASCII bytes skips the lookups: the only error it can show is a sequence left open by
  ;; the block before it, which a saturating subtraction of the last three bytes finds.
  (func (export "utf8") (param $at i32) (param $length i32) (result i32)
    (local $end i32)
    (local $stop i32)
    (local $previous v128)
    (local $current v128)
    (local $before1 v128)
    (local $error v128)
    (local.set $end (i32.add (local.get $at) (i32.and (i32.add (local.get $length) (i32.const 15)) (i32.const -16))))
    (block $done
      (loop $chunk
        (br_if $done (i32.ge_u (local.get $at) (local.get $end)))
        (local.set $stop (local.get $end))
        (if (i32.le_u (i32.add (local.get $at) (i32.const 64)) (local.get $end))
          (then
            (local.set $stop (i32.add (local.get $at) (i32.const 64)))
            ;; The top bit of any of the 64 bytes set? If not, all ASCII.
            (if (i32.eqz (i8x16.bitmask
                  (v128.or
                    (v128.or (v128.load offset=0 (local.get $at)) (v128.load offset=16 (local.get $at)))
                    (v128.or (v128.load offset=32 (local.get $at)) (v128.load offset=48 (local.get $at))))))
              (then
                (local.set $error (v128.or (local.get $error) (call $unfinished (local.get $previous))))
                (local.set $previous (v128.load offset=48 (local.get $at)))
                (local.set $at (local.get $stop))
                (br $chunk)))))
        ;; Up to 64 bytes that hold something other than ASCII: 16 at a time, with the lookups.
        (loop $block
          (local.set $current (v128.load (local.get $at)))
          ;; The byte before each byte (and two and three before), taken across the previous block.
          (local.set $before1
            (i8x16.shuffle 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 (local.get $previous) (local.get $current)))
          (local.set $error
            (v128.or
              (local.get $error)
              (v128.xor
                (v128.and
                  (v128.and
                    (i8x16.swizzle
                      ;; high nibble of the byte before: 0-7 ASCII, 8-B continuation, C, D, E, F leads
                      (v128.const i8x16 0x02 0x02 0x02 0x02 0x02 0x02 0x02 0x02 0x80 0x80 0x80 0x80 0x21 0x01 0x15 0x49)
                      (i8x16.shr_u (local.get $before1) (i32.const 4)))
                    (i8x16.swizzle
                      ;; low nibble of the byte before (0x83: the errors that do not depend on it)
                      (v128.const i8x16 0xe7 0xa3 0x83 0x83 0x8b 0xcb 0xcb 0xcb 0xcb 0xcb 0xcb 0xcb 0xcb 0xdb 0xcb 0xcb)
                      (v128.and (local.get $before1) (v128.const i8x16 15 15 15 15 15 15 15 15 15 15 15 15 15 15 15 15))))
                  (i8x16.swizzle
                    ;; high nibble of this byte: 0-7 ASCII, 8, 9, A-B continuation ranges, C-F leads
                    (v128.const i8x16 0x01 0x01 0x01 0x01 0x01 0x01 0x01 0x01 0xe6 0xae 0xba 0xba 0x01 0x01 0x01 0x01)
                    (i8x16.shr_u (local.get $current) (i32.const 4))))
                ;; 0x80 where a continuation must follow a continuation: two after E0-FF, three after F0-FF.
                (v128.and
                  (v128.or
                    (i8x16.ge_u
                      (i8x16.shuffle 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 (local.get $previous) (local.get $current))
                      (v128.const i8x16 0xe0 0xe0 0xe0 0xe0 0xe0 0xe0 0xe0 0xe0 0xe0 0xe0 0xe0 0xe0 0xe0 0xe0 0xe0 0xe0))
                    (i8x16.ge_u
                      (i8x16.shuffle 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 (local.get $previous) (local.get $current))
                      (v128.const i8x16 0xf0 0xf0 0xf0 0xf0 0xf0 0xf0 0xf0 0xf0 0xf0 0xf0 0xf0 0xf0 0xf0 0xf0 0xf0 0xf0)))
                  (v128.const i8x16 0x80 0x80 0x80 0x80 0x80 0x80 0x80 0x80 0x80 0x80 0x80 0x80 0x80 0x80 0x80 0x80)))))
          (local.set $previous (local.get $current))
          (local.set $at (i32.add (local.get $at) (i32.const 16)))
          (br_if $block (i32.lt_u (local.get $at) (local.get $stop))))
        (br $chunk)))
    ;; The input must not end inside a sequence either.
    (local.set $error (v128.or (local.get $error) (call $unfinished (local.get $previous))))
    (i32.eqz (v128.any_true (local.get $error))))

  ;; Non-zero lanes when a block's last three bytes open a sequence that needs bytes after the block:
  ;; byte 15 at C0 or above, byte 14 at E0 or above, byte 13 at F0 or above.
  (func $unfinished (param $block v128) (result v128)
    (i8x16.sub_sat_u
      (local.get $block)
      (v128.const i8x16 0xff 0xff 0xff 0xff 0xff 0xff 0xff 0xff 0xff 0xff 0xff 0xff 0xff 0xef 0xdf 0xbf))))
