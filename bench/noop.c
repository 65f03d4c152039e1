/* The baseline: the cheapest program libvirt could run as a hook. */
int
main(void)
{
	return 0;
}
