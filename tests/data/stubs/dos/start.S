# START.COM for DOSBox: stands in for Windows 9x's start.exe and any Windows program a 9x
# script runs (rundll32.exe, regedit.exe). It appends its command tail to C:\CALLS.LOG and exits
# with the code in the first byte of C:\RC.BIN (0 when there is none): DOS passes 8 bits on.
        .code16
        .text
        .globl _start
_start:
        mov     $0x3d01, %ax            # open C:\CALLS.LOG for writing
        mov     $logname, %dx
        int     $0x21
        jnc     opened
        mov     $0x3c, %ah              # or create it
        xor     %cx, %cx
        mov     $logname, %dx
        int     $0x21
        jc      code
opened:
        mov     %ax, %bx
        mov     $0x4202, %ax            # to its end
        xor     %cx, %cx
        xor     %dx, %dx
        int     $0x21
        mov     $0x40, %ah              # the command tail (PSP:80h holds its length)
        xor     %ch, %ch
        mov     0x80, %cl
        mov     $0x81, %dx
        int     $0x21
        mov     $0x40, %ah
        mov     $2, %cx
        mov     $crlf, %dx
        int     $0x21
        mov     $0x3e, %ah
        int     $0x21
code:
        mov     $0x3d00, %ax            # the exit code from C:\RC.BIN
        mov     $rcname, %dx
        int     $0x21
        jc      leave
        mov     %ax, %bx
        mov     $0x3f, %ah
        mov     $1, %cx
        mov     $rc, %dx
        int     $0x21
        mov     $0x3e, %ah
        int     $0x21
leave:
        mov     rc, %al
        mov     $0x4c, %ah
        int     $0x21
crlf:   .byte   13, 10
rc:     .byte   0
logname: .asciz "C:\\CALLS.LOG"
rcname: .asciz  "C:\\RC.BIN"
