/*
 * embed.c - a program that embeds libcbkit through its public API only, as a user of the
 * installed package would (tests/install/test-install.sh compiles it with
 * `pkg-config --cflags --libs cbkit` against a scratch install). It validates a
 * StartBuildBatch request given as argv[1] against the bundled CodeBuild spec and prints each
 * violation: JSON pointer, rule and AWS's wording. Exit 0 valid, 1 invalid, 2 error.
 */
#include <cbkit/cbkit.h>

#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: embed JSON\n");
        return 2;
    }
    struct cbk_spec *spec = NULL;
    struct cbk_diags diags = CBK_DIAGS_INIT;
    if (cbk_spec_load_bundled(&spec, &diags) != CBK_OK) {
        fprintf(stderr, "embed: the bundled spec does not load\n");
        cbk_diags_release(&diags);
        return 2;
    }
    struct cbk_validate_opts opts = CBK_VALIDATE_OPTS_INIT;
    struct cbk_report *report = cbk_report_new();
    enum cbk_code rc =
        cbk_validate_op_buffer(spec, "StartBuildBatch", argv[1], strlen(argv[1]), &opts, report);
    if (rc != CBK_OK && rc != CBK_E_INVALID) {
        fprintf(stderr, "embed: %s (%s)\n", cbk_strerror(rc), cbk_code_name(rc));
        cbk_report_free(report);
        cbk_spec_free(spec);
        return 2;
    }
    printf("cbkit %s: %s, %zu violation(s)\n", cbk_version(), rc == CBK_OK ? "valid" : "invalid",
           cbk_report_error_count(report));
    for (size_t i = 0; i < cbk_report_count(report); i++) {
        const struct cbk_violation *v = cbk_report_at(report, i);
        printf("%s [%s] %s\n", v->pointer, cbk_rule_name(v->rule),
               v->aws_constraint ? v->aws_constraint : v->message);
    }
    cbk_report_free(report);
    cbk_spec_free(spec);
    cbk_diags_release(&diags);
    return rc == CBK_OK ? 0 : 1;
}
