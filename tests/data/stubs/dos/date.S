# DATE.COM for DOSBox (whose shell has no DATE): what Windows 98's DATE prints when asked with no date,
# taken from C:\DATE.TXT, which the test writes in the language and for the day it chooses (two lines:
# "Current date is Sun 12-06-1998" and the prompt "Enter new date (mm-dd-yy): "); then, as DATE does,
# it reads the answer from standard input (an empty line keeps the date) and ends the prompt's line.
        .code16
        .text
        .globl _start
_start:
        mov     $0x3d00, %ax
        mov     $today, %dx
        int     $0x21
        jc      answer
        mov     %ax, %bx
        mov     $0x3f, %ah
        mov     $1024, %cx
        mov     $buffer, %dx
        int     $0x21
        jc      answer
        mov     %ax, %cx
        mov     $1, %bx
        mov     $0x40, %ah
        jcxz    answer
        int     $0x21
answer: xor     %bx, %bx
        mov     $0x3f, %ah
        mov     $128, %cx
        mov     $buffer, %dx
        int     $0x21
        mov     $1, %bx
        mov     $0x40, %ah
        mov     $2, %cx
        mov     $crlf, %dx
        int     $0x21
        mov     $0x4c00, %ax
        int     $0x21
today:  .asciz  "C:\\DATE.TXT"
crlf:   .ascii  "\r\n"
buffer:
