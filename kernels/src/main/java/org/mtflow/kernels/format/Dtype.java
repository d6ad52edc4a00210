package org.mtflow.kernels.format;

import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;

/**
 * The element types of the safetensors format, by the names its headers use. Every one of them is
 * recognised (so a file's header can be listed and validated); {@link #readable()} says which can be
 * converted to float32 when a tensor is read, {@link #writable()} which a writer can store.
 */
public enum Dtype {
    BOOL(8), U8(8), I8(8), F8_E5M2(8), F8_E4M3(8), F8_E8M0(8),
    I16(16), U16(16), F16(16), BF16(16),
    I32(32), U32(32), F32(32),
    F64(64), I64(64), U64(64), C64(64),
    F4(4), F6_E2M3(6), F6_E3M2(6);

    private static final Set<Dtype> WRITABLE = EnumSet.of(F32, F16, BF16, F64);
    private static final Set<Dtype> UNREADABLE = EnumSet.of(C64, F4, F6_E2M3, F6_E3M2);

    private final int bits;

    Dtype(int bits) {
        this.bits = bits;
    }

    /** Bits per element (sub-byte types are packed). */
    public int bits() { return bits; }

    /**
     * Whether a tensor of this type can be read as float32: floats are rounded to nearest even, integers
     * converted (exact up to 2^24 in magnitude), BOOL read as 0/1. Complex and packed 4/6-bit types
     * cannot.
     */
    public boolean readable() { return !UNREADABLE.contains(this); }

    /** Whether a writer can store float32 data as this type: F32, F16, BF16 (rounded to nearest even), F64. */
    public boolean writable() { return WRITABLE.contains(this); }

    /** The dtype a header names, if the name is one of the format's. */
    public static Optional<Dtype> named(String name) {
        for (Dtype d : values()) {
            if (d.name().equals(name)) return Optional.of(d);
        }
        return Optional.empty();
    }
}
