/*
 * banned.h - functions cbkit code must not call, turned into compile errors.
 * Included last from core/setup.h, after every system header (the git way).
 */
#ifndef CBK_BANNED_H
#define CBK_BANNED_H

#define CBK_BANNED(func) sorry_##func##_is_a_banned_function

#undef strcpy
#define strcpy(x, y) CBK_BANNED(strcpy)
#undef strcat
#define strcat(x, y) CBK_BANNED(strcat)
#undef strncpy
#define strncpy(x, y, n) CBK_BANNED(strncpy)
#undef sprintf
#define sprintf(...) CBK_BANNED(sprintf)
#undef vsprintf
#define vsprintf(...) CBK_BANNED(vsprintf)
#undef strtok
#define strtok(x, y) CBK_BANNED(strtok)
#undef gmtime
#define gmtime(t) CBK_BANNED(gmtime)
#undef localtime
#define localtime(t) CBK_BANNED(localtime)
#undef atoi
#define atoi(s) CBK_BANNED(atoi)
#undef atol
#define atol(s) CBK_BANNED(atol)

#endif
