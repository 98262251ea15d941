// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the sysfs parsers the selftests rely on: a parser that
 * accepts garbage would let a broken kernel pass the groups checks.
 */
#include <string.h>

#include "kselftest_harness.h"
#include "iommu_sysfs.h"

struct bad_line {
	const char *line;
	const char *why;
};

TEST(resv_region_accepts_what_the_kernel_prints)
{
	static const char *const good[] = {
		"0x00000000fee00000 0x00000000feefffff msi\n",
		"0x0000000000000000 0x0000000000ffffff direct-relaxable\n",
		"0x00000000000a0000 0x00000000000bffff direct",
		"0x0000000008000000 0x00000000080fffff reserved\n",
		"0xffffffffffffffff 0xffffffffffffffff msi\n",
	};
	struct resv_region r;
	const char *why = NULL;

	/* Braces: the harness's EXPECT is a for loop of its own. */
	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		EXPECT_EQ(0, resv_region_parse(good[i], &r, &why))
			TH_LOG("\"%s\" refused: %s", good[i], why);
	}
	ASSERT_EQ(0, resv_region_parse(good[0], &r, &why));
	EXPECT_EQ(0xfee00000ULL, r.start);
	EXPECT_EQ(0xfeefffffULL, r.end);
	EXPECT_STREQ("msi", r.type);
}

TEST(resv_region_refuses_malformed_lines)
{
	static const struct bad_line bad[] = {
		{ "", "start is not" },
		{ "0xfee00000 0x00000000feefffff msi", "start is not" },
		{ "0x00000000FEE00000 0x00000000feefffff msi", "start is not" },
		{ "00000000fee00000000 0x00000000feefffff msi", "start is not" },
		{ "0x00000000fee00000  0x00000000feefffff msi", "end is not" },
		{ "0x00000000fee00000 0x00000000feefffff", "no single space after end" },
		{ "0x00000000fee00000 0x00000000feefffffmsi", "no single space after end" },
		{ "0x00000000fee00000 0x00000000feefffff ", "type missing" },
		{ "0x00000000fee00000 0x00000000feefffff msi-sw", "unknown region type" },
		{ "0x00000000fee00000 0x00000000feefffff MSI", "unknown region type" },
		{ "0x00000000feefffff 0x00000000fee00000 msi", "start is above end" },
		{ "0x00000000fee00000 0x00000000feefffff msi\nextra", "text after" },
		{ "0x00000000fee00000 0x00000000feefffff averyveryverylongtypename", "type missing or too long" },
	};
	struct resv_region r;

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		const char *why = "";

		EXPECT_EQ(-1, resv_region_parse(bad[i].line, &r, &why))
			TH_LOG("\"%s\" accepted", bad[i].line);
		EXPECT_EQ(0, strncmp(why, bad[i].why, strlen(bad[i].why)))
			TH_LOG("\"%s\": said \"%s\", wanted \"%s\"", bad[i].line, why,
			       bad[i].why);
	}
}

TEST(group_type_values)
{
	static const char *const documented[] = {
		"blocked", "identity", "unmanaged", "DMA", "DMA-FQ", "unknown",
	};
	static const char *const undocumented[] = {
		"", "dma", "DMA-SQ", "DMA-FQ ", "auto", "identity\n",
	};

	for (size_t i = 0; i < ARRAY_SIZE(documented); i++) {
		EXPECT_TRUE(group_type_documented(documented[i]))
			TH_LOG("%s refused", documented[i]);
	}
	for (size_t i = 0; i < ARRAY_SIZE(undocumented); i++) {
		EXPECT_FALSE(group_type_documented(undocumented[i]))
			TH_LOG("\"%s\" accepted", undocumented[i]);
	}
}

TEST_HARNESS_MAIN
