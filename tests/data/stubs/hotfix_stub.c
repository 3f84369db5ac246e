/* A stand-in for hotfix packages, qchain.exe and shutdown.exe in wine tests.
 * It appends "<its own file name> <arguments>" to calls.log beside itself and exits
 * with the number in "<its own file name>.rc" beside itself (0 when there is none).
 * Built by make_stub.sh with mingw-w64. */
#include <windows.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
    char exe[MAX_PATH], path[MAX_PATH + 16];
    DWORD n = GetModuleFileNameA(NULL, exe, MAX_PATH);
    if (n == 0 || n >= MAX_PATH)
        return 250;
    char *slash = strrchr(exe, '\\');
    if (slash == NULL)
        return 251;
    *slash = '\0';
    const char *name = slash + 1;
    snprintf(path, sizeof path, "%s\\calls.log", exe);
    FILE *log = fopen(path, "a");
    if (log == NULL)
        return 252;
    fputs(name, log);
    for (int i = 1; i < argc; i++)
        fprintf(log, " %s", argv[i]);
    fputs("\n", log);
    fclose(log);
    int rc = 0;
    snprintf(path, sizeof path, "%s\\%s.rc", exe, name);
    FILE *f = fopen(path, "r");
    if (f != NULL) {
        if (fscanf(f, "%d", &rc) != 1)
            rc = 253;
        fclose(f);
    }
    return rc;
}
