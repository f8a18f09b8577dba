/*
 * Scripts (nginx's ngx_http_script.c): strings with variables compiled
 * into code arrays, and the codes the rewrite module's programs use.
 *
 * A code is a struct whose first member is the function that runs it;
 * the engine calls them in order, each advancing e->ip past itself. A
 * string is two programs: lengths (each code returns a byte count) and
 * values (each copies its bytes to e->pos), so a result is allocated
 * once at its exact size. Literal text is stored inline after its copy
 * code. Compiled at config time (cycle pool), run in workers (r->pool).
 */

#include "dr_http.h"


static dr_int_t dr_http_script_init_arrays(dr_http_script_compile_t *sc);
static dr_int_t dr_http_script_done(dr_http_script_compile_t *sc);
static dr_int_t dr_http_script_add_copy_code(dr_http_script_compile_t *sc,
    dr_str_t *value, dr_uint_t last);
static dr_int_t dr_http_script_add_var_code(dr_http_script_compile_t *sc,
    dr_str_t *name);
static dr_int_t dr_http_script_add_args_code(dr_http_script_compile_t *sc);
static dr_int_t dr_http_script_add_capture_code(dr_http_script_compile_t *sc,
    dr_uint_t n);
static dr_int_t dr_http_script_add_full_name_code(
    dr_http_script_compile_t *sc);
static size_t dr_http_script_full_name_len_code(dr_http_script_engine_t *e);
static void dr_http_script_full_name_code(dr_http_script_engine_t *e);
static void dr_http_script_unescape_redirect(u_char **dst, u_char **src,
    size_t size);


#define dr_http_script_exit  (u_char *) &dr_http_script_exit_code

static uintptr_t  dr_http_script_exit_code = (uintptr_t) NULL;


void
dr_http_script_flush_complex_value(dr_http_request_t *r,
    dr_http_complex_value_t *val)
{
    dr_uint_t  *index;

    index = val->flushes;

    if (index) {
        while (*index != (dr_uint_t) -1) {

            if (r->variables[*index].no_cacheable) {
                r->variables[*index].valid = 0;
                r->variables[*index].not_found = 0;
            }

            index++;
        }
    }
}


dr_int_t
dr_http_complex_value(dr_http_request_t *r, dr_http_complex_value_t *val,
    dr_str_t *value)
{
    size_t                        len;
    dr_http_script_code_pt        code;
    dr_http_script_len_code_pt    lcode;
    dr_http_script_engine_t       e;

    if (val->lengths == NULL) {
        *value = val->value;
        return DR_OK;
    }

    dr_http_script_flush_complex_value(r, val);

    dr_memzero(&e, sizeof(dr_http_script_engine_t));

    e.ip = val->lengths;
    e.request = r;
    e.flushed = 1;

    len = 0;

    while (*(uintptr_t *) e.ip) {
        lcode = *(dr_http_script_len_code_pt *) e.ip;
        len += lcode(&e);
    }

    value->len = len;
    value->data = dr_pnalloc(r->pool, len ? len : 1);
    if (value->data == NULL) {
        return DR_ERROR;
    }

    e.ip = val->values;
    e.pos = value->data;
    e.buf = *value;

    while (*(uintptr_t *) e.ip) {
        code = *(dr_http_script_code_pt *) e.ip;
        code((dr_http_script_engine_t *) &e);
    }

    *value = e.buf;

    return DR_OK;
}


size_t
dr_http_complex_value_size(dr_http_request_t *r,
    dr_http_complex_value_t *val, size_t default_value)
{
    ssize_t   size;
    dr_str_t  value;

    if (val == NULL) {
        return default_value;
    }

    if (val->lengths == NULL) {
        return val->u.size;
    }

    if (dr_http_complex_value(r, val, &value) != DR_OK) {
        return default_value;
    }

    size = dr_parse_size(&value);

    if (size == DR_ERROR) {
        dr_log_error(DR_LOG_ERR, r->connection->log, 0,
                     "invalid size \"%V\"", &value);
        return default_value;
    }

    return (size_t) size;
}


dr_int_t
dr_http_compile_complex_value(dr_http_compile_complex_value_t *ccv)
{
    dr_str_t                  *v;
    dr_uint_t                  i, n, nv, nc;
    dr_array_t                 flushes, lengths, values, *pf, *pl, *pv;
    dr_http_script_compile_t   sc;

    v = ccv->value;

    nv = 0;
    nc = 0;

    for (i = 0; i < v->len; i++) {
        if (v->data[i] == '$') {
            if (i + 1 < v->len && v->data[i + 1] >= '1'
                && v->data[i + 1] <= '9')
            {
                nc++;

            } else {
                nv++;
            }
        }
    }

    if ((v->len == 0 || v->data[0] != '$')
        && (ccv->conf_prefix || ccv->root_prefix))
    {
        if (dr_conf_full_name(ccv->cf->cycle, v, ccv->conf_prefix) != DR_OK) {
            return DR_ERROR;
        }

        ccv->conf_prefix = 0;
        ccv->root_prefix = 0;
    }

    ccv->complex_value->value = *v;
    ccv->complex_value->flushes = NULL;
    ccv->complex_value->lengths = NULL;
    ccv->complex_value->values = NULL;
    ccv->complex_value->u.size = 0;

    if (nv == 0 && nc == 0) {
        return DR_OK;
    }

    n = nv + 1;

    if (dr_array_init(&flushes, ccv->cf->pool, n, sizeof(dr_uint_t))
        != DR_OK)
    {
        return DR_ERROR;
    }

    n = nv * (2 * sizeof(dr_http_script_copy_code_t)
                  + sizeof(dr_http_script_var_code_t))
        + sizeof(uintptr_t);

    if (dr_array_init(&lengths, ccv->cf->pool, n, 1) != DR_OK) {
        return DR_ERROR;
    }

    n = (nv * (2 * sizeof(dr_http_script_copy_code_t)
                   + sizeof(dr_http_script_var_code_t))
                + sizeof(uintptr_t)
                + v->len
                + sizeof(uintptr_t) - 1)
            & ~(sizeof(uintptr_t) - 1);

    if (dr_array_init(&values, ccv->cf->pool, n, 1) != DR_OK) {
        return DR_ERROR;
    }

    pf = &flushes;
    pl = &lengths;
    pv = &values;

    dr_memzero(&sc, sizeof(dr_http_script_compile_t));

    sc.cf = ccv->cf;
    sc.source = v;
    sc.flushes = &pf;
    sc.lengths = &pl;
    sc.values = &pv;
    sc.complete_lengths = 1;
    sc.complete_values = 1;
    sc.zero = ccv->zero;
    sc.conf_prefix = ccv->conf_prefix;
    sc.root_prefix = ccv->root_prefix;

    if (dr_http_script_compile(&sc) != DR_OK) {
        return DR_ERROR;
    }

    if (flushes.nelts) {
        ccv->complex_value->flushes = flushes.elts;
        ccv->complex_value->flushes[flushes.nelts] = (dr_uint_t) -1;
    }

    ccv->complex_value->lengths = lengths.elts;
    ccv->complex_value->values = values.elts;

    return DR_OK;
}


char *
dr_http_set_complex_value_slot(dr_conf_t *cf, dr_command_t *cmd, void *conf)
{
    char  *p = conf;

    dr_str_t                          *value;
    dr_http_complex_value_t          **cv;
    dr_http_compile_complex_value_t    ccv;

    cv = (dr_http_complex_value_t **) (p + cmd->offset);

    if (*cv != NULL && *cv != DR_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    *cv = dr_palloc(cf->pool, sizeof(dr_http_complex_value_t));
    if (*cv == NULL) {
        return DR_CONF_ERROR;
    }

    value = cf->args->elts;

    dr_memzero(&ccv, sizeof(dr_http_compile_complex_value_t));

    ccv.cf = cf;
    ccv.value = &value[1];
    ccv.complex_value = *cv;

    if (dr_http_compile_complex_value(&ccv) != DR_OK) {
        return DR_CONF_ERROR;
    }

    return DR_CONF_OK;
}


char *
dr_http_set_complex_value_zero_slot(dr_conf_t *cf, dr_command_t *cmd,
    void *conf)
{
    char  *p = conf;

    dr_str_t                          *value;
    dr_http_complex_value_t          **cv;
    dr_http_compile_complex_value_t    ccv;

    cv = (dr_http_complex_value_t **) (p + cmd->offset);

    if (*cv != NULL && *cv != DR_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    *cv = dr_palloc(cf->pool, sizeof(dr_http_complex_value_t));
    if (*cv == NULL) {
        return DR_CONF_ERROR;
    }

    value = cf->args->elts;

    dr_memzero(&ccv, sizeof(dr_http_compile_complex_value_t));

    ccv.cf = cf;
    ccv.value = &value[1];
    ccv.complex_value = *cv;
    ccv.zero = 1;

    if (dr_http_compile_complex_value(&ccv) != DR_OK) {
        return DR_CONF_ERROR;
    }

    return DR_CONF_OK;
}


char *
dr_http_set_complex_value_size_slot(dr_conf_t *cf, dr_command_t *cmd,
    void *conf)
{
    char  *p = conf;

    char                      *rv;
    dr_http_complex_value_t   *cv;

    rv = dr_http_set_complex_value_slot(cf, cmd, conf);

    if (rv != DR_CONF_OK) {
        return rv;
    }

    cv = *(dr_http_complex_value_t **) (p + cmd->offset);

    if (cv->lengths) {
        return DR_CONF_OK;
    }

    cv->u.size = dr_parse_size(&cv->value);
    if (cv->u.size == (size_t) DR_ERROR) {
        return "invalid value";
    }

    return DR_CONF_OK;
}


dr_uint_t
dr_http_script_variables_count(dr_str_t *value)
{
    dr_uint_t  i, n;

    for (n = 0, i = 0; i < value->len; i++) {
        if (value->data[i] == '$') {
            n++;
        }
    }

    return n;
}


/*
 * Compiles sc->source: "$name", "${name}", "$1".."$9" and literal text;
 * with compile_args, the first '?' starts the arguments (rewrite).
 */
dr_int_t
dr_http_script_compile(dr_http_script_compile_t *sc)
{
    u_char      ch;
    dr_str_t    name;
    dr_uint_t   i, bracket;

    if (dr_http_script_init_arrays(sc) != DR_OK) {
        return DR_ERROR;
    }

    for (i = 0; i < sc->source->len; /* void */ ) {

        name.len = 0;

        if (sc->source->data[i] == '$') {

            if (++i == sc->source->len) {
                goto invalid_variable;
            }

            ch = sc->source->data[i];

            if (ch >= '1' && ch <= '9') {
                sc->variables++;

                n: ;

                if (dr_http_script_add_capture_code(sc, ch - '0') != DR_OK) {
                    return DR_ERROR;
                }

                i++;

                continue;
            }

            if (ch == '{') {
                bracket = 1;

                if (++i == sc->source->len) {
                    goto invalid_variable;
                }

                name.data = &sc->source->data[i];

                if (sc->source->data[i] >= '1' && sc->source->data[i] <= '9'
                    && i + 1 < sc->source->len
                    && sc->source->data[i + 1] == '}')
                {
                    ch = sc->source->data[i];
                    i++;
                    goto n;
                }

            } else {
                bracket = 0;
                name.data = &sc->source->data[i];
            }

            for ( /* void */ ; i < sc->source->len; i++, name.len++) {
                ch = sc->source->data[i];

                if (ch == '}' && bracket) {
                    i++;
                    bracket = 0;
                    break;
                }

                if ((ch >= 'A' && ch <= 'Z')
                    || (ch >= 'a' && ch <= 'z')
                    || (ch >= '0' && ch <= '9')
                    || ch == '_')
                {
                    continue;
                }

                break;
            }

            if (bracket) {
                dr_conf_log_error(DR_LOG_EMERG, sc->cf, 0,
                                  "the closing bracket in \"%V\" "
                                  "variable is missing", &name);
                return DR_ERROR;
            }

            if (name.len == 0) {
                goto invalid_variable;
            }

            sc->variables++;

            if (dr_http_script_add_var_code(sc, &name) != DR_OK) {
                return DR_ERROR;
            }

            continue;
        }

        if (sc->source->data[i] == '?' && sc->compile_args) {
            sc->args = 1;
            sc->compile_args = 0;

            if (dr_http_script_add_args_code(sc) != DR_OK) {
                return DR_ERROR;
            }

            i++;

            continue;
        }

        name.data = &sc->source->data[i];

        while (i < sc->source->len) {

            if (sc->source->data[i] == '$') {
                break;
            }

            if (sc->source->data[i] == '?') {

                sc->args = 1;

                if (sc->compile_args) {
                    break;
                }
            }

            i++;
            name.len++;
        }

        sc->size += name.len;

        if (dr_http_script_add_copy_code(sc, &name, (i == sc->source->len))
            != DR_OK)
        {
            return DR_ERROR;
        }
    }

    return dr_http_script_done(sc);

invalid_variable:

    dr_conf_log_error(DR_LOG_EMERG, sc->cf, 0, "invalid variable name");

    return DR_ERROR;
}


u_char *
dr_http_script_run(dr_http_request_t *r, dr_str_t *value,
    void *code_lengths, size_t len, void *code_values)
{
    dr_uint_t                    i;
    dr_http_script_code_pt       code;
    dr_http_script_engine_t      e;
    dr_http_core_main_conf_t    *cmcf;
    dr_http_script_len_code_pt   lcode;

    cmcf = dr_http_get_module_main_conf(r, dr_http_core_module);

    for (i = 0; i < cmcf->variables.nelts; i++) {
        if (r->variables[i].no_cacheable) {
            r->variables[i].valid = 0;
            r->variables[i].not_found = 0;
        }
    }

    dr_memzero(&e, sizeof(dr_http_script_engine_t));

    e.ip = code_lengths;
    e.request = r;
    e.flushed = 1;

    while (*(uintptr_t *) e.ip) {
        lcode = *(dr_http_script_len_code_pt *) e.ip;
        len += lcode(&e);
    }

    value->len = len;
    value->data = dr_pnalloc(r->pool, len ? len : 1);
    if (value->data == NULL) {
        return NULL;
    }

    e.ip = code_values;
    e.pos = value->data;

    while (*(uintptr_t *) e.ip) {
        code = *(dr_http_script_code_pt *) e.ip;
        code((dr_http_script_engine_t *) &e);
    }

    return e.pos;
}


void
dr_http_script_flush_no_cacheable_variables(dr_http_request_t *r,
    dr_array_t *indices)
{
    dr_uint_t  n, *index;

    if (indices) {
        index = indices->elts;
        for (n = 0; n < indices->nelts; n++) {
            if (r->variables[index[n]].no_cacheable) {
                r->variables[index[n]].valid = 0;
                r->variables[index[n]].not_found = 0;
            }
        }
    }
}


static dr_int_t
dr_http_script_init_arrays(dr_http_script_compile_t *sc)
{
    dr_uint_t   n;

    if (sc->flushes && *sc->flushes == NULL) {
        n = sc->variables ? sc->variables : 1;
        *sc->flushes = dr_array_create(sc->cf->pool, n, sizeof(dr_uint_t));
        if (*sc->flushes == NULL) {
            return DR_ERROR;
        }
    }

    if (*sc->lengths == NULL) {
        n = sc->variables * (2 * sizeof(dr_http_script_copy_code_t)
                             + sizeof(dr_http_script_var_code_t))
            + sizeof(uintptr_t);

        *sc->lengths = dr_array_create(sc->cf->pool, n, 1);
        if (*sc->lengths == NULL) {
            return DR_ERROR;
        }
    }

    if (*sc->values == NULL) {
        n = (sc->variables * (2 * sizeof(dr_http_script_copy_code_t)
                              + sizeof(dr_http_script_var_code_t))
                + sizeof(uintptr_t)
                + sc->source->len
                + sizeof(uintptr_t) - 1)
            & ~(sizeof(uintptr_t) - 1);

        *sc->values = dr_array_create(sc->cf->pool, n, 1);
        if (*sc->values == NULL) {
            return DR_ERROR;
        }
    }

    sc->variables = 0;

    return DR_OK;
}


static dr_int_t
dr_http_script_done(dr_http_script_compile_t *sc)
{
    dr_str_t    zero;
    uintptr_t  *code;

    if (sc->zero) {

        zero.len = 1;
        zero.data = (u_char *) "\0";

        if (dr_http_script_add_copy_code(sc, &zero, 0) != DR_OK) {
            return DR_ERROR;
        }
    }

    if (sc->conf_prefix || sc->root_prefix) {
        if (dr_http_script_add_full_name_code(sc) != DR_OK) {
            return DR_ERROR;
        }
    }

    if (sc->complete_lengths) {
        code = dr_http_script_add_code(*sc->lengths, sizeof(uintptr_t), NULL);
        if (code == NULL) {
            return DR_ERROR;
        }

        *code = (uintptr_t) NULL;
    }

    if (sc->complete_values) {
        code = dr_http_script_add_code(*sc->values, sizeof(uintptr_t),
                                       &sc->main);
        if (code == NULL) {
            return DR_ERROR;
        }

        *code = (uintptr_t) NULL;
    }

    return DR_OK;
}


void *
dr_http_script_start_code(dr_pool_t *pool, dr_array_t **codes, size_t size)
{
    if (*codes == NULL) {
        *codes = dr_array_create(pool, 256, 1);
        if (*codes == NULL) {
            return NULL;
        }
    }

    return dr_array_push_n(*codes, size);
}


void *
dr_http_script_add_code(dr_array_t *codes, size_t size, void *code)
{
    u_char  *elts, **p;
    void    *new;

    elts = codes->elts;

    new = dr_array_push_n(codes, size);
    if (new == NULL) {
        return NULL;
    }

    if (code) {
        if (elts != codes->elts) {
            p = code;
            *p += (u_char *) codes->elts - elts;
        }
    }

    return new;
}


static dr_int_t
dr_http_script_add_copy_code(dr_http_script_compile_t *sc, dr_str_t *value,
    dr_uint_t last)
{
    u_char                       *p;
    size_t                        size, len, zero;
    dr_http_script_copy_code_t   *code;

    zero = (sc->zero && last);
    len = value->len + zero;

    code = dr_http_script_add_code(*sc->lengths,
                                   sizeof(dr_http_script_copy_code_t), NULL);
    if (code == NULL) {
        return DR_ERROR;
    }

    code->code = (dr_http_script_code_pt) (void *)
                                                 dr_http_script_copy_len_code;
    code->len = len;

    size = (sizeof(dr_http_script_copy_code_t) + len + sizeof(uintptr_t) - 1)
            & ~(sizeof(uintptr_t) - 1);

    code = dr_http_script_add_code(*sc->values, size, &sc->main);
    if (code == NULL) {
        return DR_ERROR;
    }

    code->code = dr_http_script_copy_code;
    code->len = len;

    p = dr_cpymem((u_char *) code + sizeof(dr_http_script_copy_code_t),
                  value->data, value->len);

    if (zero) {
        *p = '\0';
        sc->zero = 0;
    }

    return DR_OK;
}


size_t
dr_http_script_copy_len_code(dr_http_script_engine_t *e)
{
    dr_http_script_copy_code_t  *code;

    code = (dr_http_script_copy_code_t *) e->ip;

    e->ip += sizeof(dr_http_script_copy_code_t);

    return code->len;
}


void
dr_http_script_copy_code(dr_http_script_engine_t *e)
{
    u_char                      *p;
    dr_http_script_copy_code_t  *code;

    code = (dr_http_script_copy_code_t *) e->ip;

    p = e->pos;

    if (!e->skip) {
        e->pos = dr_cpymem(p, e->ip + sizeof(dr_http_script_copy_code_t),
                           code->len);
    }

    e->ip += sizeof(dr_http_script_copy_code_t)
          + ((code->len + sizeof(uintptr_t) - 1) & ~(sizeof(uintptr_t) - 1));
}


static dr_int_t
dr_http_script_add_var_code(dr_http_script_compile_t *sc, dr_str_t *name)
{
    dr_int_t                    index, *p;
    dr_http_script_var_code_t  *code;

    index = dr_http_get_variable_index(sc->cf, name);

    if (index == DR_ERROR) {
        return DR_ERROR;
    }

    if (sc->flushes) {
        p = dr_array_push(*sc->flushes);
        if (p == NULL) {
            return DR_ERROR;
        }

        *p = index;
    }

    code = dr_http_script_add_code(*sc->lengths,
                                   sizeof(dr_http_script_var_code_t), NULL);
    if (code == NULL) {
        return DR_ERROR;
    }

    code->code = (dr_http_script_code_pt) (void *)
                                             dr_http_script_copy_var_len_code;
    code->index = (uintptr_t) index;

    code = dr_http_script_add_code(*sc->values,
                                   sizeof(dr_http_script_var_code_t),
                                   &sc->main);
    if (code == NULL) {
        return DR_ERROR;
    }

    code->code = dr_http_script_copy_var_code;
    code->index = (uintptr_t) index;

    return DR_OK;
}


size_t
dr_http_script_copy_var_len_code(dr_http_script_engine_t *e)
{
    dr_http_variable_value_t   *value;
    dr_http_script_var_code_t  *code;

    code = (dr_http_script_var_code_t *) e->ip;

    e->ip += sizeof(dr_http_script_var_code_t);

    if (e->flushed) {
        value = dr_http_get_indexed_variable(e->request, code->index);

    } else {
        value = dr_http_get_flushed_variable(e->request, code->index);
    }

    if (value && !value->not_found) {
        return value->len;
    }

    return 0;
}


void
dr_http_script_copy_var_code(dr_http_script_engine_t *e)
{
    u_char                     *p;
    dr_http_variable_value_t   *value;
    dr_http_script_var_code_t  *code;

    code = (dr_http_script_var_code_t *) e->ip;

    e->ip += sizeof(dr_http_script_var_code_t);

    if (!e->skip) {

        if (e->flushed) {
            value = dr_http_get_indexed_variable(e->request, code->index);

        } else {
            value = dr_http_get_flushed_variable(e->request, code->index);
        }

        if (value && !value->not_found) {
            p = e->pos;
            e->pos = dr_cpymem(p, value->data, value->len);
        }
    }
}


static dr_int_t
dr_http_script_add_args_code(dr_http_script_compile_t *sc)
{
    uintptr_t  *code;

    code = dr_http_script_add_code(*sc->lengths, sizeof(uintptr_t), NULL);
    if (code == NULL) {
        return DR_ERROR;
    }

    *code = (uintptr_t) dr_http_script_mark_args_code;

    code = dr_http_script_add_code(*sc->values, sizeof(uintptr_t), &sc->main);
    if (code == NULL) {
        return DR_ERROR;
    }

    *code = (uintptr_t) dr_http_script_start_args_code;

    return DR_OK;
}


size_t
dr_http_script_mark_args_code(dr_http_script_engine_t *e)
{
    e->is_args = 1;
    e->ip += sizeof(uintptr_t);

    return 1;
}


void
dr_http_script_start_args_code(dr_http_script_engine_t *e)
{
    e->is_args = 1;
    e->args = e->pos;
    e->ip += sizeof(uintptr_t);
}


static dr_int_t
dr_http_script_add_capture_code(dr_http_script_compile_t *sc, dr_uint_t n)
{
    dr_http_script_copy_capture_code_t  *code;

    code = dr_http_script_add_code(*sc->lengths,
                                   sizeof(dr_http_script_copy_capture_code_t),
                                   NULL);
    if (code == NULL) {
        return DR_ERROR;
    }

    code->code = (dr_http_script_code_pt) (void *)
                                         dr_http_script_copy_capture_len_code;
    code->n = 2 * n;


    code = dr_http_script_add_code(*sc->values,
                                   sizeof(dr_http_script_copy_capture_code_t),
                                   &sc->main);
    if (code == NULL) {
        return DR_ERROR;
    }

    code->code = dr_http_script_copy_capture_code;
    code->n = 2 * n;

    if (sc->ncaptures < n) {
        sc->ncaptures = n;
    }

    return DR_OK;
}


size_t
dr_http_script_copy_capture_len_code(dr_http_script_engine_t *e)
{
    int                                  *cap;
    u_char                               *p;
    dr_uint_t                             n;
    dr_http_request_t                    *r;
    dr_http_script_copy_capture_code_t   *code;

    r = e->request;

    code = (dr_http_script_copy_capture_code_t *) e->ip;

    e->ip += sizeof(dr_http_script_copy_capture_code_t);

    n = code->n;

    if (n < r->ncaptures) {

        cap = r->captures;

        if (cap[n] < 0) {
            return 0;
        }

        if ((e->is_args || e->quote)
            && (e->request->quoted_uri || e->request->plus_in_uri))
        {
            p = r->captures_data;

            return cap[n + 1] - cap[n]
                   + 2 * dr_http_escape_uri(NULL, &p[cap[n]],
                                            cap[n + 1] - cap[n],
                                            DR_ESCAPE_ARGS);

        } else {
            return cap[n + 1] - cap[n];
        }
    }

    return 0;
}


void
dr_http_script_copy_capture_code(dr_http_script_engine_t *e)
{
    int                                  *cap;
    u_char                               *p, *pos;
    dr_uint_t                             n;
    dr_http_request_t                    *r;
    dr_http_script_copy_capture_code_t   *code;

    r = e->request;

    code = (dr_http_script_copy_capture_code_t *) e->ip;

    e->ip += sizeof(dr_http_script_copy_capture_code_t);

    n = code->n;

    pos = e->pos;

    if (n < r->ncaptures) {

        cap = r->captures;

        if (cap[n] < 0) {
            return;
        }

        p = r->captures_data;

        if ((e->is_args || e->quote)
            && (e->request->quoted_uri || e->request->plus_in_uri))
        {
            e->pos = (u_char *) dr_http_escape_uri(pos, &p[cap[n]],
                                                   cap[n + 1] - cap[n],
                                                   DR_ESCAPE_ARGS);
        } else {
            e->pos = dr_cpymem(pos, &p[cap[n]], cap[n + 1] - cap[n]);
        }
    }
}


static dr_int_t
dr_http_script_add_full_name_code(dr_http_script_compile_t *sc)
{
    dr_http_script_full_name_code_t  *code;

    code = dr_http_script_add_code(*sc->lengths,
                                   sizeof(dr_http_script_full_name_code_t),
                                   NULL);
    if (code == NULL) {
        return DR_ERROR;
    }

    code->code = (dr_http_script_code_pt) (void *)
                                            dr_http_script_full_name_len_code;
    code->conf_prefix = sc->conf_prefix;

    code = dr_http_script_add_code(*sc->values,
                                   sizeof(dr_http_script_full_name_code_t),
                                   &sc->main);
    if (code == NULL) {
        return DR_ERROR;
    }

    code->code = dr_http_script_full_name_code;
    code->conf_prefix = sc->conf_prefix;

    return DR_OK;
}


static size_t
dr_http_script_full_name_len_code(dr_http_script_engine_t *e)
{
    dr_http_script_full_name_code_t  *code;

    code = (dr_http_script_full_name_code_t *) e->ip;

    e->ip += sizeof(dr_http_script_full_name_code_t);

    return code->conf_prefix ? dr_cycle->conf_prefix.len
                             : dr_cycle->prefix.len;
}


static void
dr_http_script_full_name_code(dr_http_script_engine_t *e)
{
    dr_str_t                          value, *prefix;
    dr_http_script_full_name_code_t  *code;

    code = (dr_http_script_full_name_code_t *) e->ip;

    value.data = e->buf.data;
    value.len = e->pos - e->buf.data;

    prefix = code->conf_prefix ? (dr_str_t *) &dr_cycle->conf_prefix
                               : (dr_str_t *) &dr_cycle->prefix;

    if (dr_get_full_name(e->request->pool, prefix, &value) != DR_OK) {
        e->ip = dr_http_script_exit;
        e->status = DR_HTTP_INTERNAL_SERVER_ERROR;
        return;
    }

    e->buf = value;

    e->ip += sizeof(dr_http_script_full_name_code_t);
}


void
dr_http_script_regex_start_code(dr_http_script_engine_t *e)
{
    size_t                          len;
    dr_int_t                        rc;
    dr_uint_t                       n;
    dr_http_request_t              *r;
    dr_http_script_engine_t         le;
    dr_http_script_len_code_pt      lcode;
    dr_http_script_regex_code_t    *code;

    code = (dr_http_script_regex_code_t *) e->ip;

    r = e->request;

    if (code->uri) {
        e->line = r->uri;

    } else {
        e->sp--;
        e->line.len = e->sp->len;
        e->line.data = e->sp->data;
    }

    rc = dr_http_regex_exec(r, code->regex, &e->line);

    if (rc == DR_DECLINED) {
        if (e->log) {
            dr_log_error(DR_LOG_NOTICE, r->connection->log, 0,
                         "\"%V\" does not match \"%V\"",
                         &code->name, &e->line);
        }

        r->ncaptures = 0;

        if (code->test) {
            if (code->negative_test) {
                e->sp->len = 1;
                e->sp->data = (u_char *) "1";

            } else {
                e->sp->len = 0;
                e->sp->data = (u_char *) "";
            }

            e->sp++;

            e->ip += sizeof(dr_http_script_regex_code_t);
            return;
        }

        e->ip += code->next;
        return;
    }

    if (rc == DR_ERROR) {
        e->ip = dr_http_script_exit;
        e->status = DR_HTTP_INTERNAL_SERVER_ERROR;
        return;
    }

    if (e->log) {
        dr_log_error(DR_LOG_NOTICE, r->connection->log, 0,
                     "\"%V\" matches \"%V\"", &code->name, &e->line);
    }

    if (code->test) {
        if (code->negative_test) {
            e->sp->len = 0;
            e->sp->data = (u_char *) "";

        } else {
            e->sp->len = 1;
            e->sp->data = (u_char *) "1";
        }

        e->sp++;

        e->ip += sizeof(dr_http_script_regex_code_t);
        return;
    }

    if (code->status) {
        e->status = code->status;

        if (!code->redirect) {
            e->ip = dr_http_script_exit;
            return;
        }
    }

    if (code->uri) {
        r->internal = 1;
        r->valid_unparsed_uri = 0;

        if (code->break_cycle) {
            r->valid_location = 0;
            r->uri_changed = 0;

        } else {
            r->uri_changed = 1;
        }
    }

    if (code->lengths == NULL) {
        e->buf.len = code->size;

        if (code->uri) {
            if (r->ncaptures && (r->quoted_uri || r->plus_in_uri)) {
                e->buf.len += 2 * dr_http_escape_uri(NULL, r->uri.data,
                                                     r->uri.len,
                                                     DR_ESCAPE_ARGS);
            }
        }

        for (n = 2; n < r->ncaptures; n += 2) {
            if (r->captures[n] >= 0) {
                e->buf.len += r->captures[n + 1] - r->captures[n];
            }
        }

    } else {
        dr_memzero(&le, sizeof(dr_http_script_engine_t));

        le.ip = code->lengths->elts;
        le.line = e->line;
        le.request = r;
        le.quote = code->redirect;

        len = 0;

        while (*(uintptr_t *) le.ip) {
            lcode = *(dr_http_script_len_code_pt *) le.ip;
            len += lcode(&le);
        }

        e->buf.len = len;
    }

    if (code->add_args && r->args.len) {
        e->buf.len += r->args.len + 1;
    }

    e->buf.data = dr_pnalloc(r->pool, e->buf.len ? e->buf.len : 1);
    if (e->buf.data == NULL) {
        e->ip = dr_http_script_exit;
        e->status = DR_HTTP_INTERNAL_SERVER_ERROR;
        return;
    }

    e->quote = code->redirect;

    e->pos = e->buf.data;

    e->ip += sizeof(dr_http_script_regex_code_t);
}


void
dr_http_script_regex_end_code(dr_http_script_engine_t *e)
{
    u_char                            *dst, *src;
    dr_http_request_t                 *r;
    dr_http_script_regex_end_code_t   *code;

    code = (dr_http_script_regex_end_code_t *) e->ip;

    r = e->request;

    e->quote = 0;

    if (code->redirect) {

        dst = e->buf.data;
        src = e->buf.data;

        dr_http_script_unescape_redirect(&dst, &src, e->pos - e->buf.data);

        if (src < e->pos) {
            dst = dr_movemem(dst, src, e->pos - src);
        }

        e->pos = dst;

        if (code->add_args && r->args.len) {
            *e->pos++ = (u_char) (code->args ? '&' : '?');
            e->pos = dr_cpymem(e->pos, r->args.data, r->args.len);
        }

        e->buf.len = e->pos - e->buf.data;

        if (e->log) {
            dr_log_error(DR_LOG_NOTICE, r->connection->log, 0,
                         "rewritten redirect: \"%V\"", &e->buf);
        }

        dr_http_clear_location(r);

        r->headers_out.location = dr_list_push(&r->headers_out.headers);
        if (r->headers_out.location == NULL) {
            e->ip = dr_http_script_exit;
            e->status = DR_HTTP_INTERNAL_SERVER_ERROR;
            return;
        }

        r->headers_out.location->hash = 1;
        r->headers_out.location->next = NULL;
        r->headers_out.location->lowcase_key = NULL;
        dr_str_set(&r->headers_out.location->key, "Location");
        r->headers_out.location->value = e->buf;

        e->ip += sizeof(dr_http_script_regex_end_code_t);
        return;
    }

    if (e->args) {
        e->buf.len = e->args - e->buf.data;

        if (code->add_args && r->args.len) {
            *e->pos++ = '&';
            e->pos = dr_cpymem(e->pos, r->args.data, r->args.len);
        }

        r->args.len = e->pos - e->args;
        r->args.data = e->args;

        e->args = NULL;

    } else {
        e->buf.len = e->pos - e->buf.data;

        if (!code->add_args) {
            r->args.len = 0;
        }
    }

    if (e->log) {
        dr_log_error(DR_LOG_NOTICE, r->connection->log, 0,
                     "rewritten data: \"%V\", args: \"%V\"",
                     &e->buf, &r->args);
    }

    if (code->uri) {
        r->uri = e->buf;

        if (r->uri.len == 0) {
            dr_log_error(DR_LOG_ERR, r->connection->log, 0,
                         "the rewritten URI has a zero length");
            e->ip = dr_http_script_exit;
            e->status = DR_HTTP_INTERNAL_SERVER_ERROR;
            return;
        }

        dr_http_set_exten(r);
    }

    e->ip += sizeof(dr_http_script_regex_end_code_t);
}


/*
 * nginx's NGX_UNESCAPE_REDIRECT: in the path part, decodes %XX only into
 * printable bytes above '%' (so spaces, quotes, '#', '%' and controls
 * stay escaped); stops at '?'.
 */
static void
dr_http_script_unescape_redirect(u_char **dst, u_char **src, size_t size)
{
    u_char  *d, *s, ch, c, decoded;

    d = *dst;
    s = *src;

    while (size) {
        ch = *s;

        if (ch == '?') {
            break;
        }

        if (ch == '%' && size >= 3) {
            c = (u_char) (s[1] | 0x20);

            if (s[1] >= '0' && s[1] <= '9') {
                decoded = (u_char) (s[1] - '0');

            } else if (c >= 'a' && c <= 'f') {
                decoded = (u_char) (c - 'a' + 10);

            } else {
                goto copy;
            }

            c = (u_char) (s[2] | 0x20);

            if (s[2] >= '0' && s[2] <= '9') {
                decoded = (u_char) ((decoded << 4) + (s[2] - '0'));

            } else if (c >= 'a' && c <= 'f') {
                decoded = (u_char) ((decoded << 4) + (c - 'a') + 10);

            } else {
                goto copy;
            }

            if (decoded > '%' && decoded < 0x7f) {
                *d++ = decoded;
                s += 3;
                size -= 3;
                continue;
            }
        }

    copy:

        *d++ = *s++;
        size--;
    }

    *dst = d;
    *src = s;
}


void
dr_http_script_return_code(dr_http_script_engine_t *e)
{
    dr_http_script_return_code_t  *code;

    code = (dr_http_script_return_code_t *) e->ip;

    if (code->status < DR_HTTP_BAD_REQUEST
        || code->text.value.len
        || code->text.lengths)
    {
        e->status = dr_http_send_response(e->request, code->status, NULL,
                                          &code->text);
    } else {
        e->status = code->status;
    }

    e->ip = dr_http_script_exit;
}


void
dr_http_script_break_code(dr_http_script_engine_t *e)
{
    dr_http_request_t  *r;

    r = e->request;

    if (r->uri_changed) {
        r->valid_location = 0;
        r->uri_changed = 0;
    }

    e->ip = dr_http_script_exit;
}


void
dr_http_script_if_code(dr_http_script_engine_t *e)
{
    dr_http_script_if_code_t  *code;

    code = (dr_http_script_if_code_t *) e->ip;

    e->sp--;

    if (e->sp->len && (e->sp->len != 1 || e->sp->data[0] != '0')) {
        if (code->loc_conf) {
            e->request->loc_conf = code->loc_conf;
            dr_http_update_location_config(e->request);
        }

        e->ip += sizeof(dr_http_script_if_code_t);
        return;
    }

    e->ip += code->next;
}


void
dr_http_script_equal_code(dr_http_script_engine_t *e)
{
    dr_http_variable_value_t  *val, *res;

    e->ip += sizeof(uintptr_t);

    e->sp--;
    val = e->sp;
    res = e->sp - 1;

    e->pos = e->buf.data;

    if (val->len == res->len
        && dr_strncmp(val->data, res->data, res->len) == 0)
    {
        *res = dr_http_variable_true_value;
        return;
    }

    *res = dr_http_variable_null_value;
}


void
dr_http_script_not_equal_code(dr_http_script_engine_t *e)
{
    dr_http_variable_value_t  *val, *res;

    e->ip += sizeof(uintptr_t);

    e->sp--;
    val = e->sp;
    res = e->sp - 1;

    e->pos = e->buf.data;

    if (val->len == res->len
        && dr_strncmp(val->data, res->data, res->len) == 0)
    {
        *res = dr_http_variable_null_value;
        return;
    }

    *res = dr_http_variable_true_value;
}


/* -f, !-f, -d, !-d, -e, !-e, -x, !-x on the path on the stack */
void
dr_http_script_file_code(dr_http_script_engine_t *e)
{
    char                        *name;
    dr_str_t                     path;
    struct stat                  st;
    dr_http_variable_value_t    *value;
    dr_http_script_file_code_t  *code;

    value = e->sp - 1;

    code = (dr_http_script_file_code_t *) e->ip;
    e->ip += sizeof(dr_http_script_file_code_t);

    path.len = value->len;
    path.data = value->data;

    name = dr_pstrz(e->request->pool, &path);
    if (name == NULL) {
        e->ip = dr_http_script_exit;
        e->status = DR_HTTP_INTERNAL_SERVER_ERROR;
        return;
    }

    if (stat(name, &st) == -1) {

        if (errno != ENOENT && errno != ENOTDIR && errno != ENAMETOOLONG
            && errno != EACCES)
        {
            dr_log_error(DR_LOG_CRIT, e->request->connection->log, errno,
                         "stat() \"%s\" failed", name);
        }

        switch (code->op) {

        case dr_http_script_file_plain:
        case dr_http_script_file_dir:
        case dr_http_script_file_exists:
        case dr_http_script_file_exec:
             goto false_value;

        case dr_http_script_file_not_plain:
        case dr_http_script_file_not_dir:
        case dr_http_script_file_not_exists:
        case dr_http_script_file_not_exec:
             goto true_value;
        }

        goto false_value;
    }

    switch (code->op) {

    case dr_http_script_file_plain:
        if (S_ISREG(st.st_mode)) {
             goto true_value;
        }
        goto false_value;

    case dr_http_script_file_not_plain:
        if (S_ISREG(st.st_mode)) {
            goto false_value;
        }
        goto true_value;

    case dr_http_script_file_dir:
        if (S_ISDIR(st.st_mode)) {
             goto true_value;
        }
        goto false_value;

    case dr_http_script_file_not_dir:
        if (S_ISDIR(st.st_mode)) {
            goto false_value;
        }
        goto true_value;

    case dr_http_script_file_exists:
        goto true_value;

    case dr_http_script_file_not_exists:
        goto false_value;

    case dr_http_script_file_exec:
        if (!S_ISDIR(st.st_mode) && (st.st_mode & 0111)) {
            goto true_value;
        }
        goto false_value;

    case dr_http_script_file_not_exec:
        if (!S_ISDIR(st.st_mode) && (st.st_mode & 0111)) {
            goto false_value;
        }
        goto true_value;
    }

false_value:

    *value = dr_http_variable_null_value;
    return;

true_value:

    *value = dr_http_variable_true_value;
    return;
}


void
dr_http_script_complex_value_code(dr_http_script_engine_t *e)
{
    size_t                                 len;
    dr_http_script_engine_t                le;
    dr_http_script_len_code_pt             lcode;
    dr_http_script_complex_value_code_t   *code;

    code = (dr_http_script_complex_value_code_t *) e->ip;

    e->ip += sizeof(dr_http_script_complex_value_code_t);

    dr_memzero(&le, sizeof(dr_http_script_engine_t));

    le.ip = code->lengths->elts;
    le.line = e->line;
    le.request = e->request;
    le.quote = e->quote;

    for (len = 0; *(uintptr_t *) le.ip; len += lcode(&le)) {
        lcode = *(dr_http_script_len_code_pt *) le.ip;
    }

    e->buf.len = len;
    e->buf.data = dr_pnalloc(e->request->pool, len ? len : 1);
    if (e->buf.data == NULL) {
        e->ip = dr_http_script_exit;
        e->status = DR_HTTP_INTERNAL_SERVER_ERROR;
        return;
    }

    e->pos = e->buf.data;

    e->sp->len = e->buf.len;
    e->sp->data = e->buf.data;
    e->sp++;
}


void
dr_http_script_value_code(dr_http_script_engine_t *e)
{
    dr_http_script_value_code_t  *code;

    code = (dr_http_script_value_code_t *) e->ip;

    e->ip += sizeof(dr_http_script_value_code_t);

    e->sp->len = code->text_len;
    e->sp->data = (u_char *) code->text_data;

    e->sp++;
}


void
dr_http_script_set_var_code(dr_http_script_engine_t *e)
{
    dr_http_request_t          *r;
    dr_http_script_var_code_t  *code;

    code = (dr_http_script_var_code_t *) e->ip;

    e->ip += sizeof(dr_http_script_var_code_t);

    r = e->request;

    e->sp--;

    r->variables[code->index].len = e->sp->len;
    r->variables[code->index].valid = 1;
    r->variables[code->index].no_cacheable = 0;
    r->variables[code->index].not_found = 0;
    r->variables[code->index].data = e->sp->data;
}


void
dr_http_script_var_set_handler_code(dr_http_script_engine_t *e)
{
    dr_http_script_var_handler_code_t  *code;

    code = (dr_http_script_var_handler_code_t *) e->ip;

    e->ip += sizeof(dr_http_script_var_handler_code_t);

    e->sp--;

    code->handler(e->request, e->sp, code->data);
}


void
dr_http_script_var_code(dr_http_script_engine_t *e)
{
    dr_http_variable_value_t   *value;
    dr_http_script_var_code_t  *code;

    code = (dr_http_script_var_code_t *) e->ip;

    e->ip += sizeof(dr_http_script_var_code_t);

    value = dr_http_get_flushed_variable(e->request, code->index);

    if (value && !value->not_found) {
        *e->sp = *value;
        e->sp++;

        return;
    }

    *e->sp = dr_http_variable_null_value;
    e->sp++;
}


void
dr_http_script_nop_code(dr_http_script_engine_t *e)
{
    e->ip += sizeof(uintptr_t);
}
