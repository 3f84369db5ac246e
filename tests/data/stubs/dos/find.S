# FIND.COM for DOSBox (which has no FIND): `find [/i] "TEXT" FILE` exits 0 when FILE holds TEXT,
# 1 when it does not or cannot be read: what the 9x scripts' marker and name checks rely on.
# /i is accepted and ignored (the scripts' texts and files agree in case). Output is discarded.
        .code16
        .text
        .globl _start
_start:
        mov     $0x81, %si
        mov     $pattern, %di
q1:     lodsb                           # up to the first quote
        cmp     $13, %al
        je      notfound
        cmp     $'"', %al
        jne     q1
copy:   lodsb                           # the text, up to the closing quote
        cmp     $13, %al
        je      notfound
        cmp     $'"', %al
        je      copied
        stosb
        jmp     copy
copied: mov     %di, patend
sp:     lodsb                           # the file name after spaces
        cmp     $' ', %al
        je      sp
        dec     %si
        mov     %si, %dx
fn:     lodsb
        cmp     $13, %al
        je      fnend
        cmp     $' ', %al
        je      fnend
        cmp     $'>', %al
        jne     fn
fnend:  movb    $0, -1(%si)
        mov     $0x3d00, %ax
        int     $0x21
        jc      notfound
        mov     %ax, %bx
        mov     $0x3f, %ah
        mov     $4000, %cx
        mov     $buffer, %dx
        int     $0x21
        jc      notfound
        mov     %ax, %bp                # bytes read
        mov     $0x3e, %ah
        int     $0x21
        mov     patend, %cx
        sub     $pattern, %cx           # pattern length
        jz      found
        xor     %bx, %bx                # offset in buffer
scan:   mov     %bp, %ax
        sub     %bx, %ax
        cmp     %cx, %ax
        jb      notfound
        lea     buffer(%bx), %si
        mov     $pattern, %di
        push    %cx
        repe cmpsb
        pop     %cx
        je      found
        inc     %bx
        jmp     scan
found:  mov     $0x4c00, %ax
        int     $0x21
notfound:
        mov     $0x4c01, %ax
        int     $0x21
patend: .word   0
pattern: .space 128
buffer:
