/*
 * bcryptprimitives.dll for Wine 8, which has none: Rust's standard library (1.78 and later)
 * takes its random bytes from bcryptprimitives!ProcessPrng, so every Windows test binary and
 * daicho-agent.exe fail to load under Wine 8 without it. This DLL implements that one export
 * with advapi32!SystemFunction036 (RtlGenRandom), which Wine has. Test support only: a real
 * Windows ships its own bcryptprimitives.dll. Built by scripts/windows-agent.sh.
 */
#include <windows.h>

/* RtlGenRandom: documented in ntsecapi.h as SystemFunction036. */
BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

/* ProcessPrng: fills `data` with `len` random bytes; always returns TRUE (as documented). */
BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
    while (len > 0) {
        ULONG chunk = len > 0x10000000 ? 0x10000000 : (ULONG)len;
        if (!SystemFunction036(data, chunk)) {
            /* Windows' ProcessPrng cannot fail; neither may this one return short. */
            RaiseException(0xC00000E5 /* STATUS_INTERNAL_ERROR */, EXCEPTION_NONCONTINUABLE, 0, NULL);
        }
        data += chunk;
        len -= chunk;
    }
    return TRUE;
}
