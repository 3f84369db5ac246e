# FIND.COM for DOSBox (which has no FIND), after MS-DOS 6 / Windows 98 FIND:
#   find [/v] [/n] [/i] "TEXT" [FILE]
# reads FILE, or standard input when no file is named, and writes each line that holds TEXT (/v: each line
# that does not) to standard output, "[n]" before it with /n; /i compares without regard to case. A file's
# lines follow a header "<CR><LF>---------- FILE". "" inside TEXT is one quote; an empty TEXT is in no line
# (so `find /v ""` passes every line). Input ends at its end or at a ^Z. Exit code (KB 81819 lists FIND's
# as defined): 0 a line was written, 1 none was, 2 bad parameters or a file it cannot open.
        .code16
        .text
        .globl _start
_start:
        cld
        mov     $0x81, %si
args:   lodsb                           # switches, up to the text's opening quote
        cmp     $13, %al
        je      bad
        cmp     $'"', %al
        je      string
        cmp     $'/', %al
        jne     args
        lodsb
        cmp     $13, %al
        je      bad
        or      $0x20, %al
        cmp     $'v', %al
        jne     notv
        movb    $1, invert
notv:   cmp     $'n', %al
        jne     notn
        movb    $1, number
notn:   cmp     $'i', %al
        jne     args
        movb    $1, nocase
        jmp     args
string: mov     $pattern, %di
copy:   lodsb                           # the text; "" is a quote in it
        cmp     $13, %al
        je      bad
        cmp     $'"', %al
        jne     store
        cmpb    $'"', (%si)
        jne     copied
        inc     %si
store:  stosb
        jmp     copy
copied: mov     %di, patend
spaces: lodsb
        cmp     $' ', %al
        je      spaces
        cmp     $13, %al
        je      input                   # no file: standard input (handle 0)
        dec     %si
        mov     %si, name
fn:     lodsb
        cmp     $13, %al
        je      fnend
        cmp     $' ', %al
        je      fnend
        cmp     $'>', %al
        je      fnend
        cmp     $'<', %al
        jne     fn
fnend:  movb    $0, -1(%si)
        mov     %si, %cx
        dec     %cx
        sub     name, %cx
        mov     %cx, namelen
        mov     name, %dx
        mov     $0x3d00, %ax
        int     $0x21
        jc      bad
        mov     %ax, handle
        mov     $header, %dx
        mov     $13, %cx                # CR LF, ten dashes and a space
        call    write
        mov     name, %dx
        mov     namelen, %cx
        call    write
        call    crlf
input:  mov     $buffer, %dx
rd:     mov     handle, %bx
        mov     $512, %cx
        mov     $0x3f, %ah
        push    %dx
        int     $0x21
        pop     %dx
        jc      bad
        test    %ax, %ax
        jz      eof
        add     %ax, %dx
        cmp     $0xe000, %dx
        jb      rd
eof:    mov     %dx, endp
        mov     $buffer, %si
line:   cmp     endp, %si               # one line: [lstart, lend), the next from nextp
        jae     done
        mov     %si, lstart
scan:   cmp     endp, %si
        jae     last
        lodsb
        cmp     $0x1a, %al
        je      ctrlz
        cmp     $10, %al
        jne     scan
        mov     %si, %bx
        dec     %bx
        jmp     ended
ctrlz:  dec     %si
        mov     %si, endp
        cmp     lstart, %si
        je      done
last:   mov     %si, %bx
ended:  cmp     lstart, %bx
        je      nocr
        cmpb    $13, -1(%bx)
        jne     nocr
        dec     %bx
nocr:   mov     %bx, lend
        mov     %si, nextp
        incw    lineno
        call    match
        xorb    invert, %al
        jz      next
        movb    $1, found
        cmpb    $0, number
        je      nonum
        call    putnum
nonum:  mov     lstart, %dx
        mov     lend, %cx
        sub     %dx, %cx
        call    write
        call    crlf
next:   mov     nextp, %si
        jmp     line
done:   mov     $0x4c01, %ax
        cmpb    $0, found
        je      quit
        mov     $0x4c00, %ax
quit:   int     $0x21
bad:    mov     $0x4c02, %ax
        int     $0x21

match:  mov     patend, %cx             # al = 1 when [lstart, lend) holds the text
        sub     $pattern, %cx
        jz      nomatch
        mov     lstart, %bx
try:    mov     lend, %ax
        sub     %bx, %ax
        cmp     %cx, %ax
        jb      nomatch
        push    %cx
        mov     %bx, %si
        mov     $pattern, %di
cmpl:   mov     (%si), %al
        mov     (%di), %ah
        cmpb    $0, nocase
        je      same
        cmp     $'a', %al
        jb      1f
        cmp     $'z', %al
        ja      1f
        sub     $0x20, %al
1:      cmp     $'a', %ah
        jb      same
        cmp     $'z', %ah
        ja      same
        sub     $0x20, %ah
same:   cmp     %ah, %al
        jne     differ
        inc     %si
        inc     %di
        loop    cmpl
        pop     %cx
        mov     $1, %al
        ret
differ: pop     %cx
        inc     %bx
        jmp     try
nomatch:
        xor     %al, %al
        ret

putnum: mov     lineno, %ax             # "[n]"
        mov     $numend, %di
        mov     $10, %bx
1:      xor     %dx, %dx
        div     %bx
        add     $'0', %dl
        dec     %di
        mov     %dl, (%di)
        test    %ax, %ax
        jnz     1b
        dec     %di
        movb    $'[', (%di)
        mov     %di, %dx
        mov     $numend + 1, %cx
        sub     %dx, %cx
        jmp     write

crlf:   mov     $header, %dx
        mov     $2, %cx
write:  jcxz    1f                      # dx, cx: to standard output (0 bytes would truncate a file)
        mov     $1, %bx
        mov     $0x40, %ah
        int     $0x21
1:      ret

header: .ascii  "\r\n---------- "
invert: .byte   0
number: .byte   0
nocase: .byte   0
found:  .byte   0
handle: .word   0
name:   .word   0
namelen: .word  0
patend: .word   0
lstart: .word   0
lend:   .word   0
nextp:  .word   0
endp:   .word   0
lineno: .word   0
numbuf: .space  8
numend: .byte   ']'
pattern: .space 128
buffer:
