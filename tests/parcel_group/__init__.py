"""A made-up third procedure group, declared outside the package as a province would: one
package (its declaration, rules, projections, agencies' decisions and schemas), named in
``LIENTHONG_GROUPS``. Nothing of the project changes for it."""
